using System.Text.Json.Nodes;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Tests.Values;

/// <summary>
/// Issue 11, item 3: values are bounded (an event's size, elements per collection, depth), refused at <c>Record</c>
/// where the input's size is known, cut with a marker where it is not (a lazy sequence). On 298d2c2 1 MB values were
/// stored and an endless sequence stalled the dispatcher.
/// </summary>
public sealed class LimitsTests
{
    private const string Name = "activity_log.document.updated";
    private static readonly ActivityResource Document = new("document", 1, "Plan");

    [Fact]
    public void The_defaults_are_documented_values()
    {
        var limits = new ActivityLogOptions().Limits;

        limits.MaxEventSize.Should().Be(262_144);
        limits.MaxCollectionLength.Should().Be(1_000);
        limits.MaxDepth.Should().Be(32);
    }

    [Fact]
    public async Task A_one_megabyte_change_value_is_refused_naming_the_change()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var big = new string('x', 1_000_000);

        var record = () => host.Recorder.Record(Name, Document, [ActivityChange.Of("body", "short", big)]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("'body'").And.Contain("MaxEventSize");
        (await host.Capture.FlushAsync()).Should().BeEmpty();
    }

    [Fact]
    public void A_one_megabyte_metadata_value_is_refused_naming_the_key()
    {
        using var services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();
        var recorder = services.GetRequiredService<IActivityRecorder>();

        var record = () => recorder.Record(Name, Document, metadata: new Dictionary<string, object?> { ["dump"] = new JsonObject { ["blob"] = new string('x', 1_000_000) } });

        var refused = record.Should().Throw<ArgumentException>().Which;
        refused.ParamName.Should().Be("metadata");
        refused.Message.Should().Contain("'dump'");
    }

    [Fact]
    public void Changes_and_metadata_share_one_size_budget()
    {
        using var services = new ServiceCollection().AddActivityLog(o => o.Limits.MaxEventSize = 10_000).Services.BuildServiceProvider();
        var recorder = services.GetRequiredService<IActivityRecorder>();
        var half = new string('x', 6_000);

        recorder.Record(Name, Document, [ActivityChange.Of("body", null, half)]);
        var both = () => recorder.Record(Name, Document, [ActivityChange.Of("body", null, half)], metadata: new Dictionary<string, object?> { ["copy"] = half });

        both.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("metadata");
    }

    [Fact]
    public void A_list_longer_than_the_limit_is_refused_because_its_length_is_known()
    {
        using var services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();
        var recorder = services.GetRequiredService<IActivityRecorder>();

        var record = () => recorder.Record(Name, Document, [ActivityChange.Of("tags", null, Enumerable.Range(0, 1_001).ToList())]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("1,001 elements").And.Contain("MaxCollectionLength");
    }

    [Fact]
    public void A_JsonArray_longer_than_the_limit_is_refused_with_its_path()
    {
        using var services = new ServiceCollection().AddActivityLog(o => o.Limits.MaxCollectionLength = 5).Services.BuildServiceProvider();
        var recorder = services.GetRequiredService<IActivityRecorder>();
        var value = new JsonObject { ["items"] = new JsonArray(1, 2, 3, 4, 5, 6) };

        var record = () => recorder.Record(Name, Document, [ActivityChange.Of("order", null, value)]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("$.items").And.Contain("6 elements");
    }

    [Fact]
    public async Task An_endless_sequence_is_cut_at_the_limit_with_the_marker_and_Record_returns()
    {
        await using var host = await ActivityLogTestHost.StartAsync(log => log.Configure(o => o.Limits.MaxCollectionLength = 100));

        host.Recorder.Record(Name, Document, [ActivityChange.Of("ticks", null, Endless())]);
        var stored = (await host.Capture.FlushAsync()).Single();

        var array = ((JsonNode)stored.Changes[0].To!).AsArray();
        array.Should().HaveCount(101);
        array[99]!.GetValue<long>().Should().Be(99);
        array[100]!.GetValue<string>().Should().Be(ActivityValueLimits.TruncatedMarker);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        using var services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();
        var recorder = services.GetRequiredService<IActivityRecorder>();
        JsonNode deep = new JsonArray();
        for (int i = 0; i < 40; i++)
        {
            deep = new JsonArray(deep);
        }

        var record = () => recorder.Record(Name, Document, [ActivityChange.Of("tree", null, deep)]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("deeper than 32 levels");
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_accepted()
    {
        using var services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();
        var recorder = services.GetRequiredService<IActivityRecorder>();
        JsonNode deep = new JsonArray();
        for (int i = 1; i < 32; i++)
        {
            deep = new JsonArray(deep);
        }

        var record = () => recorder.Record(Name, Document, [ActivityChange.Of("tree", null, deep)]);

        record.Should().NotThrow();
    }

    [Fact]
    public async Task Limits_out_of_range_fail_the_start()
    {
        var start = () => ActivityLogTestHost.StartAsync(log => log.Configure(o => o.Limits.MaxDepth = 0));

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).Which.Message.Should().Contain("MaxDepth");
    }

    private static IEnumerable<long> Endless()
    {
        for (long i = 0; ; i++)
        {
            yield return i;
        }
    }
}

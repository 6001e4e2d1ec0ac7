using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ActivityLog.Internal;
using ActivityLog.Tests.Support;
using ActivityLog.Values;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace ActivityLog.Tests.Values;

/// <summary>
/// Issue 12, item 5: plain objects where the reflection serializer is off (trimmed and native AOT apps), proved on the
/// JIT with the normalizer's <c>reflection: false</c>, the path a native AOT app takes (Aot/AotPublishTests proves the
/// same on a published binary). A type registered with <c>AddSensitiveProperties&lt;T&gt;()</c> is walked member by
/// member, its sensitive members masked, written as the reflection serializer writes it; any other plain object is the
/// mask whole, never its <c>ToString()</c>, counted and logged once per type.
/// </summary>
public sealed class PlainObjectShapeTests : IDisposable
{
    private const string TaxId = "DE-TAX-123";

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public void A_registered_type_is_walked_with_its_sensitive_members_masked()
    {
        var normalizer = Normalizer(reflection: false, out _, out _);

        var stored = To(normalizer, new Billing("Berlin", TaxId));

        stored.Should().Be("""{"city":"Berlin","tax_id":"[FILTERED]"}""");
    }

    [Fact]
    public void An_unregistered_plain_object_is_the_mask_whole_counted_each_time_and_logged_once_per_type()
    {
        var normalizer = Normalizer(reflection: false, out var logger, out var counted);

        To(normalizer, new Invoice("Berlin", TaxId)).Should().Be("\"[FILTERED]\"");
        To(normalizer, new Invoice("Hamburg", TaxId)).Should().Be("\"[FILTERED]\"");
        To(normalizer, new Unlisted("x")).Should().Be("\"[FILTERED]\"");

        counted.GetMeasurementSnapshot().EvaluateAsCounter().Should().Be(3);
        logger.Collector.GetSnapshot().Select(r => (r.Id.Id, r.Message)).Should().Equal(
            (101, MaskedMessage(typeof(Invoice))), (101, MaskedMessage(typeof(Unlisted))));
        logger.Collector.GetSnapshot().Should().AllSatisfy(r => r.Message.Should().NotContain(TaxId).And.NotContain("Berlin"));
    }

    [Fact]
    public void A_registered_type_holding_an_unregistered_one_masks_the_nested_value_whole()
    {
        var normalizer = Normalizer(reflection: false, out _, out _);

        To(normalizer, new Order("A-1", new Invoice("Berlin", TaxId), [new Billing("Paris", TaxId)]))
            .Should().Be("""{"number":"A-1","invoice":"[FILTERED]","lines":[{"city":"Paris","tax_id":"[FILTERED]"}]}""");
    }

    [Fact]
    public void The_member_walk_writes_registered_types_as_the_reflection_serializer_does()
    {
        var walked = Normalizer(reflection: false, out _, out _);
        var serialized = Normalizer(reflection: true, out _, out var counted);
        var value = new Order("A-1", null, [new Billing("Paris", TaxId), new Billing("Rome", null)]);
        var named = new Renamed { Code = "c-1", Hidden = "never written", Secret = TaxId, Count = 3 };

        To(walked, value).Should().Be(To(serialized, value));
        To(walked, named).Should().Be(To(serialized, named)).And.Be("""{"the_code":"c-1","secret":"[FILTERED]","count":3}""");
        counted.GetMeasurementSnapshot().Should().BeEmpty("with reflection every plain object is inspected");
    }

    [Fact]
    public void With_reflection_an_unregistered_plain_object_keeps_the_reflection_walk()
    {
        var normalizer = Normalizer(reflection: true, out _, out var counted);

        To(normalizer, new Invoice("Berlin", TaxId)).Should().Be("""{"city":"Berlin","tax_id":"[FILTERED]"}""");
        counted.GetMeasurementSnapshot().Should().BeEmpty();
    }

    [Fact]
    public void A_getter_that_throws_is_refused_at_Record_without_its_message_and_repaired_to_the_marker()
    {
        var normalizer = Normalizer(reflection: false, out _, out _);

        var record = () => normalizer.Snapshot([ActivityChange.Of("billing", null, new Throwing())], out _);
        record.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("could not be read (InvalidOperationException from the property Value)").And.NotContain(TaxId);

        var (changes, _, repaired) = normalizer.Repair([ActivityChange.Of("billing", null, new Throwing())], null);
        ((JsonNode)changes[0].To!).ToJsonString().Should().Be("""{"value":"[TRUNCATED]"}""");
        repaired.Should().Be(1);
    }

    [Fact]
    public void A_registered_type_that_contains_itself_is_refused_by_the_depth_limit()
    {
        var normalizer = Normalizer(reflection: false, out _, out _);
        var loop = new Node();
        loop.Next = loop;

        var record = () => normalizer.Snapshot([ActivityChange.Of("node", null, loop)], out _);

        record.Should().Throw<ArgumentException>().WithMessage("*nested deeper than*");
    }

    [Fact]
    public async Task AddSensitiveProperties_registers_the_type_with_the_host_and_the_JIT_output_is_unchanged()
    {
        await using var host = await ActivityLogTestHost.StartAsync(b => b.ConfigureRedaction(r => r.AddSensitiveProperties<Billing>().AddSensitiveProperties<Billing>()));

        host.Services.GetRequiredService<IOptions<ActivityLogOptions>>().Value.Redaction.PlainObjects.Keys.Should().Equal(typeof(Billing));
        host.Recorder.Record("activity_log.account.updated", new ActivityResource("account", 1), [ActivityChange.Of("billing", null, new Billing("Berlin", TaxId))]);
        var stored = (await host.Capture.FlushAsync()).Single();

        ((JsonNode)stored.Changes[0].To!).ToJsonString().Should().Be("""{"city":"Berlin","tax_id":"[FILTERED]"}""");
    }

    [Fact]
    public void The_resource_type_overload_registers_the_type_too()
    {
        var options = new ActivityRedactionOptions().AddSensitiveProperties<Billing>("billing");

        options.PlainObjects.Should().ContainKey(typeof(Billing));
        options.ResourceTypeFilters["billing"].Should().ContainSingle();
    }

    public void Dispose() => _services.Dispose();

    private static string MaskedMessage(Type type) =>
        $"An ActivityLog value of type {type.FullName} was written as the mask whole: reflection-based serialization is off (a trimmed or native AOT app), so its members cannot be inspected. Register the type with ConfigureRedaction(r => r.AddSensitiveProperties<T>()) to keep its other members. Logged once per type; see the activitylog.values.masked_whole metric.";

    private static string To(ActivityValueNormalizer normalizer, object value) =>
        normalizer.Snapshot([ActivityChange.Of("value", null, value)], out _)[0].To switch
        {
            JsonNode node => node.ToJsonString(),
            var other => throw new InvalidOperationException($"expected a JSON tree, got {other?.GetType().Name ?? "null"}"),
        };

    private ActivityValueNormalizer Normalizer(bool reflection, out FakeLogger logger, out MetricCollector<long> counted)
    {
        var options = new ActivityRedactionOptions()
            .AddSensitiveProperties<Billing>()
            .AddSensitiveProperties<Order>()
            .AddSensitiveProperties<Renamed>()
            .AddSensitiveProperties<Throwing>()
            .AddSensitiveProperties<Node>();
        var meters = _services.GetRequiredService<IMeterFactory>();
        counted = new MetricCollector<long>(meters, ActivityLogMetrics.MeterName, "activitylog.values.masked_whole");
        logger = new FakeLogger();
        var metrics = new ActivityLogMetrics(meters, () => 0);
        return new ActivityValueNormalizer("[FILTERED]", new ActivityValueLimits(), options.PlainObjects, new MaskedWholeValues(logger, metrics), reflection);
    }

    internal sealed record Billing(string City, [property: SensitiveData] string? TaxId);

    internal sealed record Invoice(string City, [property: SensitiveData] string TaxId);

    internal sealed record Unlisted(string Name);

    internal sealed record Order(string Number, Invoice? Invoice, IReadOnlyList<Billing> Lines);

    internal sealed class Renamed
    {
        [JsonPropertyName("the_code")]
        public string? Code { get; init; }

        [JsonIgnore]
        public string? Hidden { get; init; }

        [SensitiveData]
        public string? Secret { get; init; }

        public int Count { get; init; }

        public string this[int index] => "indexers are not members";
    }

    internal sealed class Throwing
    {
        private readonly string _secret = TaxId;

        public string Value => throw new InvalidOperationException("the getter says " + _secret);
    }

    internal sealed class Node
    {
        public Node? Next { get; set; }
    }
}

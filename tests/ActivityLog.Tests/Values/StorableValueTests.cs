using System.Text.Json;
using System.Text.Json.Nodes;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Tests.Values;

/// <summary>
/// Issue 11, item 1 (at Record): what no store can hold — a NUL character, a lone UTF-16 surrogate, a non-finite
/// number — is refused by <c>Record</c> at any depth with an <see cref="ArgumentException"/> naming the field, never
/// quoting the value, and nothing is queued. On 298d2c2 every one of these was accepted and failed its whole batch later.
/// </summary>
public sealed class StorableValueTests : IDisposable
{
    private const string Name = "activity_log.user.updated";
    private const string Secret = "sk_live_planted_secret";
    private const string Nul = Secret + "\0tail";
    private const string LoneHigh = Secret + "\uD83D";
    private const string LoneLow = "\uDE00" + Secret;
    private const string Reversed = Secret + "\uDE00\uD83D";

    private readonly ServiceProvider _services;
    private readonly IActivityRecorder _recorder;

    public StorableValueTests()
    {
        _services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();
        _recorder = _services.GetRequiredService<IActivityRecorder>();
    }

    public void Dispose() => _services.Dispose();

    public static TheoryData<string> BadTexts() => new() { Nul, LoneHigh, LoneLow, Reversed };

    private static readonly ActivityResource User = new("user", 1, "Jane");

    /// <summary>Each case records one bad text in one place and names the parameter the exception must carry.</summary>
    public static TheoryData<string, string> Places() => new()
    {
        { "actor.name", "actor.name" },
        { "actor.type", "actor.type" },
        { "actor.id", "actor.id" },
        { "resource.name", "resource.name" },
        { "resource.type", "resource.type" },
        { "resource.id", "resource.id" },
        { "related.name", "related[0].name" },
        { "accountId", "accountId" },
        { "context.ip_address", "context.ip_address" },
        { "context.user_agent", "context.user_agent" },
        { "context.auth_method", "context.auth_method" },
        { "context.correlation_id", "context.correlation_id" },
        { "changes.field", "changes.field" },
        { "metadata.key", "metadata.key" },
        { "change.to", "changes" },
        { "change.from", "changes" },
        { "change.dictionary", "changes" },
        { "change.dictionary.key", "changes" },
        { "change.list", "changes" },
        { "change.jsonnode", "changes" },
        { "change.jsonnode.key", "changes" },
        { "change.jsonelement", "changes" },
        { "change.object", "changes" },
        { "change.deep", "changes" },
        { "metadata.value", "metadata" },
        { "metadata.nested", "metadata" },
    };

    [Theory]
    [MemberData(nameof(Places))]
    public void A_NUL_anywhere_is_refused_naming_the_field_and_never_quoting_the_value(string place, string paramName) =>
        AssertRefused(place, Nul, paramName, "NUL");

    [Theory]
    [MemberData(nameof(Places))]
    public void A_lone_high_surrogate_anywhere_is_refused(string place, string paramName)
    {
        if (place != "change.object")
        {
            AssertRefused(place, LoneHigh, paramName, "lone UTF-16 surrogate");
        }
    }

    [Theory]
    [MemberData(nameof(Places))]
    public void A_lone_low_surrogate_or_a_reversed_pair_anywhere_is_refused(string place, string paramName)
    {
        if (place != "change.object")
        {
            AssertRefused(place, LoneLow, paramName, "lone UTF-16 surrogate");
            AssertRefused(place, Reversed, paramName, "lone UTF-16 surrogate");
        }
    }

    [Theory]
    [MemberData(nameof(BadTexts))]
    public async Task A_plain_objects_lone_surrogates_become_U_FFFD_by_System_Text_Jsons_rule_and_NUL_is_refused(string bad)
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var record = () => host.Recorder.Record(Name, User, [ActivityChange.Of("billing", null, new Billing("Berlin", bad))]);
        if (bad == Nul)
        {
            record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("$.notes").And.Contain("NUL");
            return;
        }

        // A plain object is written by System.Text.Json, whose writer replaces an unpaired surrogate with U+FFFD.
        record();
        var stored = (await host.Capture.FlushAsync()).Single();
        string notes = ((JsonNode)stored.Changes[0].To!)["notes"]!.GetValue<string>();
        notes.Should().Contain("\uFFFD").And.NotContainAny("\uD83D", "\uDE00");
    }

    [Fact]
    public async Task Valid_surrogate_pairs_and_other_control_characters_are_kept_as_they_are()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        const string text = "Jane \U0001F600 tab\tnew\nline \u2028 \uFFFF";
        host.Recorder.Record(Name, new ActivityResource("user", text, text), [ActivityChange.Of("bio", text, new Dictionary<string, object?> { [text] = text })], actor: ActivityActor.User(1, text));

        var stored = (await host.Capture.FlushAsync()).Single();

        stored.Resource!.Value.Name.Should().Be(text);
        stored.Changes[0].From.Should().Be(text);
        ((JsonNode)stored.Changes[0].To!)[text]!.GetValue<string>().Should().Be(text);
    }

    public static TheoryData<object?> NonFinite() => new()
    {
        double.NaN,
        double.PositiveInfinity,
        double.NegativeInfinity,
        float.NaN,
        float.NegativeInfinity,
        new JsonObject { ["score"] = JsonValue.Create(double.NaN) },
        new JsonArray(1, JsonValue.Create(double.PositiveInfinity)),
        new Dictionary<string, object?> { ["score"] = double.NaN },
        new List<object?> { 1.5, new Dictionary<string, object?> { ["deep"] = float.PositiveInfinity } },
        new Score(double.NaN),
    };

    [Theory]
    [MemberData(nameof(NonFinite))]
    public void A_non_finite_number_at_any_depth_is_refused(object? value)
    {
        var record = () => _recorder.Record(Name, User, [ActivityChange.Of("score", 1, value)]);

        var refused = record.Should().Throw<ArgumentException>().Which;
        refused.ParamName.Should().Be("changes");
        refused.Message.Should().Contain("'score'");
    }

    [Fact]
    public void A_non_finite_metadata_value_is_refused_naming_the_key()
    {
        var record = () => _recorder.Record(Name, User, metadata: new Dictionary<string, object?> { ["ratio"] = new[] { 1.0, double.NaN } });

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("'ratio'").And.Contain("$[1]").And.Contain("NaN");
    }

    [Fact]
    public void The_message_gives_the_path_inside_the_value()
    {
        var value = new Dictionary<string, object?> { ["address"] = new Dictionary<string, object?> { ["lines"] = new[] { "ok", Nul } } };
        var record = () => _recorder.Record(Name, User, [ActivityChange.Of("profile", null, value)]);

        record.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain("'to' value of the change 'profile'").And.Contain("$.address.lines[1]").And.NotContain(Secret);
    }

    [Fact]
    public void An_ambient_scope_with_bad_text_is_refused_when_it_begins()
    {
        var begin = () => ActivityScope.Begin(ActivityActor.User(1, "Jane"), context: new ActivityRequestContext { UserAgent = Nul });

        begin.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("context.user_agent");
        ActivityScope.Current.Should().BeNull();
    }

    [Fact]
    public async Task A_refused_entry_queues_nothing_and_its_neighbours_are_stored()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        for (int i = 0; i < 12; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("user", i), [ActivityChange.Of("name", "a", "b")]);
            var bad = () => host.Recorder.Record(Name, new ActivityResource("user", i), [ActivityChange.Of("name", "a", Nul)]);
            bad.Should().Throw<ArgumentException>();
        }

        var stored = await host.Capture.FlushAsync();

        stored.Should().HaveCount(12);
        host.Dispatcher.DroppedCount.Should().Be(0);
    }

    private void AssertRefused(string place, string bad, string paramName, string problem)
    {
        var record = () => RecordWith(place, bad);

        var refused = record.Should().Throw<ArgumentException>().Which;
        refused.ParamName.Should().Be(paramName);
        refused.Message.Should().Contain(problem).And.NotContain(Secret);
    }

    private void RecordWith(string place, string bad)
    {
        var changes = new List<ActivityChange>();
        var actor = ActivityActor.User(1, "Jane");
        var resource = User;
        ActivityResource[] related = [];
        string? account = null;
        ActivityRequestContext? context = null;
        Dictionary<string, object?>? metadata = null;
        switch (place)
        {
            case "actor.name": actor = ActivityActor.User(1, bad); break;
            case "actor.type": actor = new ActivityActor(bad.Replace(Secret, "user", StringComparison.Ordinal), 1, "Jane"); break;
            case "actor.id": actor = new ActivityActor("user", bad, "Jane"); break;
            case "resource.name": resource = new ActivityResource("user", 1, bad); break;
            case "resource.type": resource = new ActivityResource(bad.Replace(Secret, "user", StringComparison.Ordinal), 1); break;
            case "resource.id": resource = new ActivityResource("user", bad); break;
            case "related.name": related = [new ActivityResource("team", 2, bad)]; break;
            case "accountId": account = bad; break;
            case "context.ip_address": context = new ActivityRequestContext { IpAddress = bad }; break;
            case "context.user_agent": context = new ActivityRequestContext { UserAgent = bad }; break;
            case "context.auth_method": context = new ActivityRequestContext { AuthMethod = bad }; break;
            case "context.correlation_id": context = new ActivityRequestContext { CorrelationId = bad }; break;
            case "changes.field": changes.Add(ActivityChange.Of(bad, 1, 2)); break;
            case "metadata.key": metadata = new() { [bad] = 1 }; break;
            case "change.to": changes.Add(ActivityChange.Of("name", "ok", bad)); break;
            case "change.from": changes.Add(ActivityChange.Of("name", bad, "ok")); break;
            case "change.dictionary": changes.Add(ActivityChange.Of("name", null, new Dictionary<string, object?> { ["first"] = bad })); break;
            case "change.dictionary.key": changes.Add(ActivityChange.Of("name", null, new Dictionary<string, object?> { [bad] = 1 })); break;
            case "change.list": changes.Add(ActivityChange.Of("tags", null, new List<string> { "a", bad })); break;
            case "change.jsonnode": changes.Add(ActivityChange.Of("name", null, new JsonObject { ["first"] = bad })); break;
            case "change.jsonnode.key": changes.Add(ActivityChange.Of("name", null, new JsonObject { [bad] = 1 })); break;
            case "change.jsonelement": changes.Add(ActivityChange.Of("name", null, JsonDocument.Parse("{\"first\":" + JsonEscaped(bad) + "}").RootElement)); break;
            case "change.object": changes.Add(ActivityChange.Of("billing", null, new Billing("Berlin", bad))); break;
            case "change.deep": changes.Add(ActivityChange.Of("tree", null, new[] { new Dictionary<string, object?> { ["a"] = new object?[] { 1, new JsonArray("x", bad) } } })); break;
            case "metadata.value": metadata = new() { ["note"] = bad }; break;
            case "metadata.nested": metadata = new() { ["note"] = new Dictionary<string, object?> { ["inner"] = new[] { bad } } }; break;
            default: throw new ArgumentOutOfRangeException(nameof(place), place, null);
        }

        _recorder.Record(Name, resource, changes.ToArray(), actor, related, account, context, metadata);
    }

    /// <summary>The text as a JSON string literal with every non-ASCII character escaped (so lone surrogates survive as escapes).</summary>
    private static string JsonEscaped(string text) =>
        "\"" + string.Concat(text.Select(c => c < 0x20 || c > 0x7E || c is '"' or '\\' ? $"\\u{(int)c:X4}" : c.ToString())) + "\"";

    private sealed record Billing(string City, string Notes);

    private sealed record Score(double Value);
}

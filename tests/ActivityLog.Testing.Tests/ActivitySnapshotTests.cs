using System.Text.Json.Nodes;
using ActivityLog.Serialization;
using ActivityLog.Testing.Tests.Support;

namespace ActivityLog.Testing.Tests;

public sealed class ActivitySnapshotTests
{
    private static readonly DateTimeOffset Noon = new(2024, 12, 9, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid FirstId = Guid.Parse("0193ab5e-1c00-7000-8000-000000000001");
    private static readonly Guid SecondId = Guid.Parse("0193ab5e-1c00-7000-8000-000000000002");

    [Fact]
    public void Render_of_one_event_is_indented_by_two_spaces_with_LF_line_endings_in_contract_order()
    {
        var activity = Event(FirstId, Noon, resource: new ActivityResource("domain", "1", "example.com"));

        string json = ActivitySnapshot.Render(activity);

        json.Should().Be(
            "{\n" +
            "  \"event\": \"activity_log.domain.added\",\n" +
            "  \"description\": \"added the domain example.com\",\n" +
            "  \"actor\": {\n" +
            "    \"type\": \"unknown\"\n" +
            "  },\n" +
            "  \"resource\": {\n" +
            "    \"id\": \"1\",\n" +
            "    \"type\": \"domain\",\n" +
            "    \"name\": \"example.com\"\n" +
            "  },\n" +
            "  \"changes\": {},\n" +
            "  \"timestamp\": \"{Timestamp_1}\"\n" +
            "}");
    }

    [Fact]
    public void Render_of_many_events_is_the_payload_object_with_LF_line_endings()
    {
        string json = ActivitySnapshot.Render([Event(FirstId, Noon), Event(SecondId, Noon)]);

        json.Should().NotContain("\r");
        json.Should().StartWith("{\n  \"events\": [\n    {\n      \"event\": \"activity_log.domain.added\",\n");
        json.Split('\n').Should().OnlyContain(line => (line.Length - line.TrimStart(' ').Length) % 2 == 0, "indentation is two spaces per level");
        JsonNode.Parse(json)!["events"]!.AsArray().Should().HaveCount(2);
    }

    [Fact]
    public void Ids_become_numbered_placeholders_and_the_same_id_gets_the_same_placeholder()
    {
        var events = new[] { Event(FirstId, Noon), Event(SecondId, Noon), Event(FirstId, Noon) };

        var rendered = Events(ActivitySnapshot.Render(events, new ActivitySnapshotOptions { Fields = ActivityJsonFields.Id }));

        rendered.Select(e => (string?)e["id"]).Should().Equal("{Id_1}", "{Id_2}", "{Id_1}");
    }

    [Fact]
    public void Ids_are_kept_when_ScrubIds_is_off_and_absent_unless_the_Id_field_is_asked_for()
    {
        var events = new[] { Event(FirstId, Noon) };

        var kept = Events(ActivitySnapshot.Render(events, new ActivitySnapshotOptions { Fields = ActivityJsonFields.Id, ScrubIds = false }));
        var absent = Events(ActivitySnapshot.Render(events));

        ((string?)kept[0]["id"]).Should().Be(FirstId.ToString());
        absent[0].ContainsKey("id").Should().BeFalse();
    }

    [Fact]
    public void Timestamps_become_numbered_placeholders_by_default_and_are_kept_when_asked()
    {
        var later = Noon.AddMinutes(1);
        var events = new[] { Event(FirstId, Noon), Event(SecondId, later), Event(Guid.NewGuid(), Noon) };

        var scrubbed = Events(ActivitySnapshot.Render(events));
        var kept = Events(ActivitySnapshot.Render(events, new ActivitySnapshotOptions { ScrubTimestamps = false }));

        scrubbed.Select(e => (string?)e["timestamp"]).Should().Equal("{Timestamp_1}", "{Timestamp_2}", "{Timestamp_1}");
        kept.Select(e => (long)e["timestamp"]!).Should().Equal(Noon.ToUnixTimeSeconds(), later.ToUnixTimeSeconds(), Noon.ToUnixTimeSeconds());
    }

    [Fact]
    public void Correlation_ids_become_placeholders_when_the_context_is_rendered()
    {
        var events = new[]
        {
            Event(FirstId, Noon, context: new ActivityRequestContext { CorrelationId = "req-1", IpAddress = "203.0.113.7" }),
            Event(SecondId, Noon, context: new ActivityRequestContext { CorrelationId = "req-2" }),
            Event(Guid.NewGuid(), Noon, context: new ActivityRequestContext { CorrelationId = "req-1" }),
            Event(Guid.NewGuid(), Noon),
        };

        var scrubbed = Events(ActivitySnapshot.Render(events, new ActivitySnapshotOptions { Fields = ActivityJsonFields.Context }));
        var kept = Events(ActivitySnapshot.Render(events, new ActivitySnapshotOptions { Fields = ActivityJsonFields.Context, ScrubCorrelationIds = false }));
        var withoutContext = Events(ActivitySnapshot.Render(events));

        scrubbed.Take(3).Select(e => (string?)e["context"]!["correlation_id"]).Should().Equal("{CorrelationId_1}", "{CorrelationId_2}", "{CorrelationId_1}");
        ((string?)scrubbed[0]["context"]!["ip_address"]).Should().Be("203.0.113.7", "only the correlation id is volatile");
        scrubbed[3]["context"].Should().BeNull("an event without context renders context: null");
        kept.Take(3).Select(e => (string?)e["context"]!["correlation_id"]).Should().Equal("req-1", "req-2", "req-1");
        withoutContext.Should().OnlyContain(e => !e.ContainsKey("context"));
    }

    [Fact]
    public void ScrubKeys_replaces_a_key_wherever_it_appears_with_shared_numbering()
    {
        var metadata = new Dictionary<string, object?>
        {
            ["client"] = new JsonObject { ["ip_address"] = "198.51.100.1", ["port"] = 443 },
            ["hops"] = new JsonArray(new JsonObject { ["ip_address"] = "203.0.113.7" }),
        };
        var activity = Event(FirstId, Noon, context: new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "curl/8" }, metadata: metadata);
        var options = new ActivitySnapshotOptions { Fields = ActivityJsonFields.All };
        options.ScrubKeys.Add("ip_address");

        var rendered = JsonNode.Parse(ActivitySnapshot.Render(activity, options))!.AsObject();

        ((string?)rendered["context"]!["ip_address"]).Should().Be("{ip_address_1}");
        ((string?)rendered["context"]!["user_agent"]).Should().Be("curl/8");
        ((string?)rendered["metadata"]!["client"]!["ip_address"]).Should().Be("{ip_address_2}");
        ((int)rendered["metadata"]!["client"]!["port"]!).Should().Be(443);
        ((string?)rendered["metadata"]!["hops"]![0]!["ip_address"]).Should().Be("{ip_address_1}", "the same value gets the same placeholder");
    }

    [Fact]
    public void Non_ASCII_text_is_written_readable_not_escaped()
    {
        var activity = Event(FirstId, Noon, resource: new ActivityResource("user", "1", "Jöhn Müller"), actor: ActivityActor.User(1, "Zoë 日本"));

        string json = ActivitySnapshot.Render(activity);

        json.Should().Contain("\"name\": \"Jöhn Müller\"").And.Contain("\"name\": \"Zoë 日本\"");
        json.Should().NotContain("\\u");
    }

    [Fact]
    public async Task Render_works_on_events_captured_from_a_real_host()
    {
        await using var host = await CaptureHost.StartAsync();
        host.Recorder.Record("activity_log.api_token.created", resource: new ActivityResource("api_token", "9"),
            changes: [ActivityChange.Of("token_secret", null, "abc")]);
        host.Time.Advance(TimeSpan.FromSeconds(5));
        host.Recorder.Record("activity_log.api_token.created", resource: new ActivityResource("api_token", "10"));
        var events = await host.Capture.FlushAsync();

        var rendered = Events(ActivitySnapshot.Render(events, new ActivitySnapshotOptions { Fields = ActivityJsonFields.Id }));

        rendered.Select(e => (string?)e["id"]).Should().Equal("{Id_1}", "{Id_2}");
        rendered.Select(e => (string?)e["timestamp"]).Should().Equal("{Timestamp_1}", "{Timestamp_2}");
        ((string?)rendered[0]["description"]).Should().Be("created an api token");
        ((string?)rendered[0]["changes"]!["token_secret"]!["to"]).Should().Be("[FILTERED]");
    }

    [Fact]
    public void Null_arguments_are_rejected()
    {
        var many = () => ActivitySnapshot.Render((IEnumerable<ActivityLogEvent>)null!);
        var one = () => ActivitySnapshot.Render((ActivityLogEvent)null!);

        many.Should().Throw<ArgumentNullException>();
        one.Should().Throw<ArgumentNullException>();
    }

    private static ActivityLogEvent Event(
        Guid id,
        DateTimeOffset timestamp,
        ActivityResource? resource = null,
        ActivityActor actor = default,
        ActivityRequestContext? context = null,
        IReadOnlyDictionary<string, object?>? metadata = null) => new()
        {
            Id = id,
            Name = "activity_log.domain.added",
            Description = resource?.Name is { } name ? $"added the domain {name}" : "added a domain",
            Actor = actor,
            Resource = resource,
            Timestamp = timestamp,
            Context = context,
            Metadata = metadata,
        };

    private static List<JsonObject> Events(string payload) =>
        [.. JsonNode.Parse(payload)!["events"]!.AsArray().Select(e => e!.AsObject())];
}

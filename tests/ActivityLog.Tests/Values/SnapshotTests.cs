using System.Text.Json.Nodes;
using ActivityLog.Tests.Support;

namespace ActivityLog.Tests.Values;

/// <summary>
/// Issue 11, item 2: the event holds what was true when <c>Record</c> was called, at every depth. On 298d2c2 change
/// values were not copied at all and metadata one level deep, so a caller changing its objects afterwards changed the
/// stored record.
/// </summary>
public sealed class SnapshotTests
{
    private const string Name = "activity_log.user.updated";
    private static readonly ActivityResource User = new("user", 1, "Jane");

    [Fact]
    public async Task A_dictionary_change_value_changed_after_Record_is_stored_as_it_was()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var address = new Dictionary<string, object?> { ["city"] = "Berlin", ["lines"] = new List<object?> { "Main St 1" } };

        host.Recorder.Record(Name, User, [ActivityChange.Of("address", null, address)]);
        address["city"] = "Paris";
        ((List<object?>)address["lines"]!).Add("changed later");
        address["zip"] = "75001";

        var stored = (await host.Capture.FlushAsync()).Single();

        stored.Changes[0].To.Should().BeAssignableTo<JsonNode>().Which.ToJsonString().Should().Be("""{"city":"Berlin","lines":["Main St 1"]}""");
    }

    [Fact]
    public async Task A_JsonNode_change_value_changed_after_Record_is_stored_as_it_was()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var settings = new JsonObject { ["theme"] = "dark", ["flags"] = new JsonArray("a") };

        host.Recorder.Record(Name, User, [ActivityChange.Of("settings", settings, null)]);
        settings["theme"] = "light";
        settings["flags"]!.AsArray().Add("b");

        var stored = (await host.Capture.FlushAsync()).Single();

        ((JsonNode)stored.Changes[0].From!).ToJsonString().Should().Be("""{"theme":"dark","flags":["a"]}""");
    }

    [Fact]
    public async Task A_plain_object_and_an_array_changed_after_Record_are_stored_as_they_were()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var profile = new Profile { City = "Berlin" };
        var tags = new[] { "admin", "billing" };

        host.Recorder.Record(Name, User, [ActivityChange.Of("profile", null, profile), ActivityChange.Of("tags", null, tags)]);
        profile.City = "Paris";
        tags[0] = "guest";

        var stored = (await host.Capture.FlushAsync()).Single();

        ((JsonNode)stored.Changes[0].To!).ToJsonString().Should().Be("""{"city":"Berlin"}""");
        ((JsonNode)stored.Changes[1].To!).ToJsonString().Should().Be("""["admin","billing"]""");
    }

    [Fact]
    public async Task Nested_metadata_changed_after_Record_is_stored_as_it_was()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var request = new Dictionary<string, object?> { ["path"] = "/users/1" };
        var metadata = new Dictionary<string, object?> { ["request"] = request, ["attempt"] = 1 };

        host.Recorder.Record(Name, User, metadata: metadata);
        request["path"] = "/admin";
        metadata["attempt"] = 2;

        var stored = (await host.Capture.FlushAsync()).Single();

        ((JsonNode)stored.Metadata!["request"]!).ToJsonString().Should().Be("""{"path":"/users/1"}""");
        stored.Metadata["attempt"].Should().Be(1);
    }

    [Fact]
    public async Task Primitive_values_are_kept_as_the_same_instances_not_copied()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        string from = new('a', 3);
        object to = 42;

        host.Recorder.Record(Name, User, [ActivityChange.Of("name", from, to)]);

        var stored = (await host.Capture.FlushAsync()).Single();
        stored.Changes[0].From.Should().BeSameAs(from);
        stored.Changes[0].To.Should().BeSameAs(to);
    }

    private sealed class Profile
    {
        public string? City { get; set; }
    }
}

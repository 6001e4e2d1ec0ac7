using System.Text.Json;
using ActivityLog.Serialization;

namespace ActivityLog.Tests.Serialization;

public sealed class ActivityJsonPartsTests
{
    [Fact]
    public void Changes_are_written_as_in_the_payload_and_read_back()
    {
        ActivityChange[] changes = [ActivityChange.Of("name", "Jane", "Jane Doe"), ActivityChange.Of("seats", 3L, 5L), ActivityChange.Of("note", null, true)];

        string json = ActivityJsonParts.SerializeChanges(changes);

        json.Should().Be("""{"name":{"to":"Jane Doe","from":"Jane"},"seats":{"to":5,"from":3},"note":{"to":true,"from":null}}""");
        ActivityJsonParts.DeserializeChanges(json).Should().Equal(changes);
    }

    [Fact]
    public void No_changes_is_an_empty_object_and_null_reads_as_none()
    {
        ActivityJsonParts.SerializeChanges([]).Should().Be("{}");
        ActivityJsonParts.DeserializeChanges(null).Should().BeEmpty();
        ActivityJsonParts.DeserializeChanges("{}").Should().BeEmpty();
    }

    [Fact]
    public void Resources_round_trip_and_none_is_null()
    {
        ActivityResource[] resources = [new("sending_stream", 9, "Transactional"), new("domain", "d-1")];

        string? json = ActivityJsonParts.SerializeResources(resources);

        json.Should().Be("""[{"id":"9","type":"sending_stream","name":"Transactional"},{"id":"d-1","type":"domain"}]""");
        ActivityJsonParts.DeserializeResources(json).Should().Equal(resources);
        ActivityJsonParts.SerializeResources([]).Should().BeNull();
        ActivityJsonParts.DeserializeResources(null).Should().BeEmpty();
    }

    [Fact]
    public void Context_round_trips_with_the_payload_names()
    {
        var context = new ActivityRequestContext { IpAddress = "203.0.113.9", UserAgent = "curl/8", AuthMethod = "github", CorrelationId = "abc" };

        string? json = ActivityJsonParts.SerializeContext(context);

        json.Should().Be("""{"ip_address":"203.0.113.9","user_agent":"curl/8","auth_method":"github","correlation_id":"abc"}""");
        ActivityJsonParts.DeserializeContext(json).Should().Be(context);
        ActivityJsonParts.SerializeContext(null).Should().BeNull();
        ActivityJsonParts.DeserializeContext(null).Should().BeNull();
    }

    [Fact]
    public void Metadata_round_trips_and_null_stays_null()
    {
        var metadata = new Dictionary<string, object?> { ["plan"] = "pro", ["seats"] = 5L, ["trial"] = false };

        string? json = ActivityJsonParts.SerializeMetadata(metadata);

        json.Should().Be("""{"plan":"pro","seats":5,"trial":false}""");
        ActivityJsonParts.DeserializeMetadata(json).Should().BeEquivalentTo(metadata);
        ActivityJsonParts.SerializeMetadata(null).Should().BeNull();
    }

    [Fact]
    public void Text_that_is_not_json_throws_a_json_exception()
    {
        var act = () => ActivityJsonParts.DeserializeChanges("{not json");

        act.Should().Throw<JsonException>();
    }
}

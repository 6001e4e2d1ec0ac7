using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActivityLog.Serialization;

namespace ActivityLog.Tests.Serialization;

/// <summary>The JSON contract (DESIGN §3): field order, JSON types, opt-in fields, payload envelope and round trips.</summary>
public sealed class ActivityJsonSerializerTests
{
    private static readonly DateTimeOffset SeedTime = DateTimeOffset.FromUnixTimeSeconds(1733739084);

    private static ActivityLogEvent SeedEvent(
        ActivityActor? actor = null,
        ActivityResource? resource = null,
        IReadOnlyList<ActivityChange>? changes = null) => new()
        {
            Name = "activity_log.user.updated",
            Description = "updated the user profile",
            Actor = actor ?? ActivityActor.User(783, "Jane Doe"),
            Resource = resource ?? new ActivityResource("user", 783, "Jane Doe"),
            Changes = changes ?? [ActivityChange.Of("name", "[FILTERED]", "[FILTERED]")],
            Timestamp = SeedTime,
        };

    private static ActivityLogEvent FullEvent() => new()
    {
        Id = Guid.Parse("01939a3b-7c00-7abc-8def-0123456789ab"),
        Name = "activity_log.webhook.removed",
        Description = "removed the webhook Logging from Transactional",
        Actor = ActivityActor.User(783, "Jane Doe"),
        Resource = new ActivityResource("webhook", 5, "Logging"),
        RelatedResources = [new ActivityResource("sending_stream", "8", "Transactional")],
        Changes =
        [
            ActivityChange.Of("settings", JsonNode.Parse("""{"url":"https://a.example","retries":3}"""), null),
            ActivityChange.Of("enabled", true, false),
        ],
        Timestamp = SeedTime,
        AccountId = "acme",
        Context = new ActivityRequestContext
        {
            IpAddress = "203.0.113.7",
            UserAgent = "curl/8.5",
            AuthMethod = "GitHub",
            CorrelationId = "4bf92f3577b34da6a3ce929d0e0e4736",
        },
        Metadata = new Dictionary<string, object?> { ["source"] = "api", ["attempt"] = 2L, ["nested"] = new JsonObject { ["a"] = 1 } },
    };

    [Fact]
    public void Seed_event_is_written_field_for_field_in_order()
    {
        var json = ActivityJsonSerializer.Serialize(SeedEvent());

        json.Should().Be(
            J("{'event':'activity_log.user.updated','description':'updated the user profile','actor':{'id':783,'type':'user','name':'Jane Doe'},'resource':{'id':'783','type':'user','name':'Jane Doe'},'changes':{'name':{'to':'[FILTERED]','from':'[FILTERED]'}},'timestamp':1733739084}"));
    }

    [Fact]
    public void Seed_payload_is_wrapped_in_events()
    {
        var json = Encoding.UTF8.GetString(ActivityJsonSerializer.SerializePayload([SeedEvent()]));

        json.Should().Be(
            J("{'events':[{'event':'activity_log.user.updated','description':'updated the user profile','actor':{'id':783,'type':'user','name':'Jane Doe'},'resource':{'id':'783','type':'user','name':'Jane Doe'},'changes':{'name':{'to':'[FILTERED]','from':'[FILTERED]'}},'timestamp':1733739084}]}"));
    }

    [Fact]
    public void WritePayload_writes_the_same_bytes_as_SerializePayload()
    {
        var events = new[] { SeedEvent(), FullEvent() };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();

        ActivityJsonSerializer.WritePayload(buffer, events, ActivityJsonFields.All);

        buffer.WrittenSpan.ToArray().Should().Equal(ActivityJsonSerializer.SerializePayload(events, ActivityJsonFields.All));
    }

    [Fact]
    public void Empty_payload_is_an_empty_events_array()
    {
        Encoding.UTF8.GetString(ActivityJsonSerializer.SerializePayload([])).Should().Be("""{"events":[]}""");
    }

    [Fact]
    public void Numeric_actor_id_is_a_json_number()
    {
        var actor = Parse(SeedEvent())["actor"]!;

        actor["id"]!.GetValueKind().Should().Be(JsonValueKind.Number);
        actor["id"]!.GetValue<long>().Should().Be(783);
    }

    [Fact]
    public void String_actor_id_stays_a_json_string()
    {
        var json = ActivityJsonSerializer.Serialize(SeedEvent(actor: ActivityActor.User("783", "Jane Doe")));

        json.Should().Contain("""
            "actor":{"id":"783","type":"user","name":"Jane Doe"}
            """);
    }

    [Fact]
    public void Resource_id_is_always_a_string()
    {
        var fromLong = Parse(SeedEvent(resource: new ActivityResource("user", 783L, "Jane Doe")))["resource"]!["id"]!;
        var fromString = Parse(SeedEvent(resource: new ActivityResource("user", "783", "Jane Doe")))["resource"]!["id"]!;

        fromLong.GetValueKind().Should().Be(JsonValueKind.String);
        fromLong.GetValue<string>().Should().Be("783");
        fromString.GetValueKind().Should().Be(JsonValueKind.String);
    }

    [Fact]
    public void Inside_a_change_to_comes_before_from()
    {
        var json = ActivityJsonSerializer.Serialize(SeedEvent(changes: [ActivityChange.Of("name", "Jane", "Janet")]));

        json.Should().Contain("""
            "changes":{"name":{"to":"Janet","from":"Jane"}}
            """);
    }

    [Fact]
    public void Changes_keep_the_order_they_were_given()
    {
        var json = ActivityJsonSerializer.Serialize(SeedEvent(changes:
            [ActivityChange.Of("zeta", 1, 2), ActivityChange.Of("alpha", 3, 4)]));

        json.Should().Contain("""
            "changes":{"zeta":{"to":2,"from":1},"alpha":{"to":4,"from":3}}
            """);
    }

    [Fact]
    public void No_changes_is_an_empty_object()
    {
        ActivityJsonSerializer.Serialize(SeedEvent(changes: [])).Should().Contain("\"changes\":{},");
    }

    [Fact]
    public void Timestamp_is_unix_seconds()
    {
        var activity = new ActivityLogEvent
        {
            Name = "activity_log.user.updated",
            Timestamp = new DateTimeOffset(2024, 12, 9, 10, 11, 24, 987, TimeSpan.FromHours(2)),
        };

        var timestamp = Parse(activity)["timestamp"]!;

        timestamp.GetValueKind().Should().Be(JsonValueKind.Number);
        timestamp.GetValue<long>().Should().Be(new DateTimeOffset(2024, 12, 9, 8, 11, 24, TimeSpan.Zero).ToUnixTimeSeconds());
    }

    [Fact]
    public void Optional_fields_are_absent_without_opt_in()
    {
        var json = Parse(FullEvent());

        json.Select(p => p.Key).Should().Equal("event", "description", "actor", "resource", "related_resources", "changes", "timestamp");
    }

    [Fact]
    public void All_optional_fields_follow_timestamp_in_order()
    {
        var json = Parse(FullEvent(), ActivityJsonFields.All);

        json.Select(p => p.Key).Should().Equal(
            "event", "description", "actor", "resource", "related_resources", "changes", "timestamp",
            "id", "account_id", "context", "metadata");
    }

    [Fact]
    public void Optional_fields_are_written_with_their_values()
    {
        var json = ActivityJsonSerializer.Serialize(FullEvent(), ActivityJsonFields.All);

        json.Should().EndWith(
            J("'timestamp':1733739084,'id':'01939a3b-7c00-7abc-8def-0123456789ab','account_id':'acme','context':{'ip_address':'203.0.113.7','user_agent':'curl/8.5','auth_method':'GitHub','correlation_id':'4bf92f3577b34da6a3ce929d0e0e4736'},'metadata':{'source':'api','attempt':2,'nested':{'a':1}}}"));
    }

    [Theory]
    [InlineData(ActivityJsonFields.Id, new[] { "id" })]
    [InlineData(ActivityJsonFields.AccountId, new[] { "account_id" })]
    [InlineData(ActivityJsonFields.Context | ActivityJsonFields.Metadata, new[] { "context", "metadata" })]
    public void Each_optional_field_is_opted_into_separately(ActivityJsonFields fields, string[] extra)
    {
        var json = Parse(FullEvent(), fields);

        json.Select(p => p.Key).Skip(7).Should().Equal(extra);
    }

    [Fact]
    public void Related_resources_appear_only_when_present_and_right_after_resource()
    {
        var withRelated = ActivityJsonSerializer.Serialize(FullEvent());
        var without = ActivityJsonSerializer.Serialize(SeedEvent());

        withRelated.Should().Contain(
            J("'resource':{'id':'5','type':'webhook','name':'Logging'},'related_resources':[{'id':'8','type':'sending_stream','name':'Transactional'}],'changes':"));
        without.Should().NotContain("related_resources");
    }

    [Fact]
    public void Unknown_actor_is_written_as_type_unknown_only()
    {
        ActivityJsonSerializer.Serialize(SeedEvent(actor: ActivityActor.Unknown)).Should().Contain("""
            "actor":{"type":"unknown"}
            """);
    }

    [Fact]
    public void System_actor_without_id_writes_type_and_name_only()
    {
        ActivityJsonSerializer.Serialize(SeedEvent(actor: ActivityActor.System("Nightly cleanup"))).Should().Contain("""
            "actor":{"type":"system","name":"Nightly cleanup"}
            """);
    }

    [Fact]
    public void Event_without_resource_writes_null_resource()
    {
        var json = ActivityJsonSerializer.Serialize(new ActivityLogEvent { Name = "activity_log.session.started", Timestamp = SeedTime });

        json.Should().Be(
            """{"event":"activity_log.session.started","description":null,"actor":{"type":"unknown"},"resource":null,"changes":{},"timestamp":1733739084}""");
    }

    [Fact]
    public void Values_are_written_with_their_json_types()
    {
        var json = ActivityJsonSerializer.Serialize(SeedEvent(changes:
        [
            ActivityChange.Of("int", 1, 2),
            ActivityChange.Of("long", 3_000_000_000L, 4L),
            ActivityChange.Of("decimal", 1.5m, 2.25m),
            ActivityChange.Of("double", 0.5d, 1.25d),
            ActivityChange.Of("bool", false, true),
            ActivityChange.Of("null", null, null),
            ActivityChange.Of("node", JsonNode.Parse("""{"a":[1,"x",null]}"""), JsonValue.Create(7)),
            ActivityChange.Of("guid", Guid.Parse("01939a3b-7c00-7abc-8def-0123456789ab"), null),
            ActivityChange.Of("enum", DayOfWeek.Monday, DayOfWeek.Friday),
        ]));

        json.Should().Contain(
            J("'changes':{'int':{'to':2,'from':1},'long':{'to':4,'from':3000000000},'decimal':{'to':2.25,'from':1.5},'double':{'to':1.25,'from':0.5},'bool':{'to':true,'from':false},'null':{'to':null,'from':null},'node':{'to':7,'from':{'a':[1,'x',null]}},'guid':{'to':null,'from':'01939a3b-7c00-7abc-8def-0123456789ab'},'enum':{'to':'Friday','from':'Monday'}}"));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Non_finite_numbers_do_not_break_serialization(double value)
    {
        // The recorder and the pipeline accept doubles as they are, so a sink must be able to write any double:
        // one NaN in one event must not make a whole webhook batch fail to serialize.
        var activity = SeedEvent(changes: [ActivityChange.Of("ratio", 0.5d, value)]);

        var act = () => ActivityJsonSerializer.SerializePayload([activity]);

        act.Should().NotThrow();
        FluentActions.Invoking(() => JsonDocument.Parse(ActivityJsonSerializer.SerializePayload([activity])).Dispose()).Should().NotThrow();
    }

    [Fact]
    public void JsonElement_values_are_written_verbatim()
    {
        using var document = JsonDocument.Parse("""{"k":[true,2]}""");

        ActivityJsonSerializer.Serialize(SeedEvent(changes: [ActivityChange.Of("raw", null, document.RootElement.Clone())]))
            .Should().Contain("""
            "raw":{"to":{"k":[true,2]},"from":null}
            """);
    }

    [Fact]
    public void Deserialize_round_trips_every_field()
    {
        var original = FullEvent();

        var read = ActivityJsonSerializer.Deserialize(ActivityJsonSerializer.Serialize(original, ActivityJsonFields.All));

        read.Id.Should().Be(original.Id);
        read.Name.Should().Be(original.Name);
        read.Description.Should().Be(original.Description);
        read.Actor.Should().Be(original.Actor);
        read.Actor.HasNumericId.Should().BeTrue();
        read.Actor.NumericId.Should().Be(783);
        read.Resource.Should().Be(new ActivityResource("webhook", "5", "Logging"));
        read.RelatedResources.Should().Equal(original.RelatedResources);
        read.Timestamp.Should().Be(SeedTime);
        read.AccountId.Should().Be("acme");
        read.Context.Should().Be(original.Context);

        read.Changes.Should().HaveCount(2);
        read.Changes[0].Field.Should().Be("settings");
        read.Changes[0].From.Should().BeAssignableTo<JsonObject>();
        JsonNode.DeepEquals((JsonNode)read.Changes[0].From!, JsonNode.Parse("""{"url":"https://a.example","retries":3}""")).Should().BeTrue();
        read.Changes[0].To.Should().BeNull();
        read.Changes[1].Should().Be(ActivityChange.Of("enabled", true, false));

        read.Metadata.Should().NotBeNull();
        read.Metadata!["source"].Should().Be("api");
        read.Metadata["attempt"].Should().Be(2L);
        read.Metadata["nested"].Should().BeAssignableTo<JsonObject>().Which.ToJsonString().Should().Be("""{"a":1}""");
    }

    [Fact]
    public void Deserialize_then_serialize_reproduces_the_same_json()
    {
        var json = ActivityJsonSerializer.Serialize(FullEvent(), ActivityJsonFields.All);

        ActivityJsonSerializer.Serialize(ActivityJsonSerializer.Deserialize(json), ActivityJsonFields.All).Should().Be(json);
    }

    [Fact]
    public void Deserialize_keeps_a_string_actor_id_a_string()
    {
        var read = ActivityJsonSerializer.Deserialize(ActivityJsonSerializer.Serialize(SeedEvent(actor: ActivityActor.ApiToken("tok_1", "CI"))));

        read.Actor.HasNumericId.Should().BeFalse();
        read.Actor.Should().Be(ActivityActor.ApiToken("tok_1", "CI"));
    }

    [Fact]
    public void Deserialize_reads_the_unknown_actor_back_as_unknown()
    {
        var read = ActivityJsonSerializer.Deserialize(ActivityJsonSerializer.Serialize(SeedEvent(actor: ActivityActor.Unknown)));

        read.Actor.IsUnknown.Should().BeTrue();
    }

    [Fact]
    public void Deserialize_of_a_seed_event_has_no_optional_values()
    {
        var read = ActivityJsonSerializer.Deserialize(ActivityJsonSerializer.Serialize(SeedEvent()));

        read.Id.Should().Be(Guid.Empty);
        read.AccountId.Should().BeNull();
        read.Context.Should().BeNull();
        read.Metadata.Should().BeNull();
        read.RelatedResources.Should().BeEmpty();
    }

    [Fact]
    public void DeserializePayload_reads_the_seed_payload()
    {
        var payload = """
            {
              "events": [
                {
                  "event": "activity_log.user.updated",
                  "description": "updated the user profile",
                  "actor": { "id": 783, "type": "user", "name": "Jane Doe" },
                  "resource": { "id": "783", "type": "user", "name": "Jane Doe" },
                  "changes": { "name": { "to": "[FILTERED]", "from": "[FILTERED]" } },
                  "timestamp": 1733739084
                }
              ]
            }
            """;

        var events = ActivityJsonSerializer.DeserializePayload(Encoding.UTF8.GetBytes(payload));

        events.Should().ContainSingle();
        var read = events[0];
        read.Name.Should().Be("activity_log.user.updated");
        read.Actor.Should().Be(ActivityActor.User(783, "Jane Doe"));
        read.Actor.HasNumericId.Should().BeTrue();
        read.Resource.Should().Be(new ActivityResource("user", "783", "Jane Doe"));
        read.Changes.Should().Equal(ActivityChange.Of("name", "[FILTERED]", "[FILTERED]"));
        read.Timestamp.Should().Be(SeedTime);
    }

    [Fact]
    public void DeserializePayload_round_trips_several_events()
    {
        var bytes = ActivityJsonSerializer.SerializePayload([SeedEvent(), FullEvent()], ActivityJsonFields.All);

        var events = ActivityJsonSerializer.DeserializePayload(bytes);

        events.Select(e => e.Name).Should().Equal("activity_log.user.updated", "activity_log.webhook.removed");
        ActivityJsonSerializer.SerializePayload(events, ActivityJsonFields.All).Should().Equal(bytes);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"description":"no name"}""")]
    [InlineData("""{"event":""}""")]
    public void Deserialize_rejects_json_that_is_not_an_event(string json)
    {
        var act = () => ActivityJsonSerializer.Deserialize(json);

        act.Should().Throw<JsonException>();
    }

    [Fact]
    public void GetOptions_is_cached_per_field_combination()
    {
        ActivityJsonSerializer.GetOptions(ActivityJsonFields.Id).Should().BeSameAs(ActivityJsonSerializer.GetOptions(ActivityJsonFields.Id));
        ActivityJsonSerializer.GetOptions(ActivityJsonFields.Id).Should().NotBeSameAs(ActivityJsonSerializer.GetOptions());
        ActivityJsonSerializer.GetOptions().IsReadOnly.Should().BeTrue();
    }

    private static string J(string singleQuoted) => singleQuoted.Replace("'", "\"", StringComparison.Ordinal);

    private static JsonObject Parse(ActivityLogEvent activity, ActivityJsonFields fields = ActivityJsonFields.None) =>
        JsonNode.Parse(ActivityJsonSerializer.Serialize(activity, fields))!.AsObject();
}

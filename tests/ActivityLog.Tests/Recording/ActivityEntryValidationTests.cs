using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Tests.Recording;

/// <summary>
/// Input validation through the public recording API: every bad input is an <see cref="ArgumentException"/> that names
/// the field (and never quotes a change's value); good input is accepted.
/// </summary>
public sealed class ActivityEntryValidationTests : IDisposable
{
    private const string ValidName = "activity_log.user.updated";
    private const string Secret = "sk_live_51HvQ7pSecretValue";

    private readonly ServiceProvider _services;
    private readonly IActivityRecorder _recorder;

    public ActivityEntryValidationTests()
    {
        _services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();
        _recorder = _services.GetRequiredService<IActivityRecorder>();
    }

    public void Dispose() => _services.Dispose();

    // ---- Event names ----

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("Activity_log.user.updated", "lowercase letter")]
    [InlineData("activity_log.User.updated", "lowercase letter")]
    [InlineData("activity_log.user.Updated", "lowercase letter")]
    [InlineData("activity_log.user.upDated", "only lowercase letters, digits and underscores")]
    [InlineData("activity_log.user", "at least three segments")]
    [InlineData("activity_log", "at least three segments")]
    [InlineData("activity_log.user.updated.", "ends with a dot")]
    [InlineData("activity_log..updated", "empty segment")]
    [InlineData(".activity_log.user.updated", "empty segment")]
    [InlineData("activity_log.user.up-dated", "only lowercase letters, digits and underscores")]
    [InlineData("activity_log.user.up dated", "only lowercase letters, digits and underscores")]
    [InlineData("activity_log._user.updated", "lowercase letter")]
    [InlineData("activity_log.1user.updated", "lowercase letter")]
    public void Malformed_event_name_is_rejected_with_the_reason(string eventName, string reason)
    {
        var act = () => _recorder.Record(eventName);

        act.Should().Throw<ArgumentException>().WithMessage($"*{reason}*").Which.ParamName.Should().Be("eventName");
    }

    [Fact]
    public void Null_event_name_is_rejected()
    {
        var act = () => _recorder.Record(null!);

        act.Should().Throw<ArgumentException>().WithMessage("*empty*");
    }

    [Fact]
    public void Event_name_over_the_limit_is_rejected()
    {
        string name = "activity_log.user." + new string('a', ActivityLimits.MaxEventNameLength - "activity_log.user.".Length + 1);
        name.Length.Should().Be(ActivityLimits.MaxEventNameLength + 1);

        var act = () => _recorder.Record(name);

        act.Should().Throw<ArgumentException>()
            .WithMessage($"*{ActivityLimits.MaxEventNameLength + 1}*")
            .WithMessage($"*at most {ActivityLimits.MaxEventNameLength}*");
    }

    [Fact]
    public void Event_name_at_the_limit_is_accepted()
    {
        string name = "activity_log.user." + new string('a', ActivityLimits.MaxEventNameLength - "activity_log.user.".Length);

        var act = () => _recorder.Record(name);

        act.Should().NotThrow();
    }

    [Theory]
    [InlineData("activity_log.user.updated")]
    [InlineData("activity_log.api_token.created")]
    [InlineData("billing.invoice_v2.paid")]
    [InlineData("a.b.c.d")]
    [InlineData("activity_log.user.login_attempted2")]
    public void Well_formed_event_names_are_accepted(string eventName)
    {
        var act = () => _recorder.Record(eventName);

        act.Should().NotThrow();
    }

    // ---- Field lengths ----

    public static TheoryData<string, Action<IActivityRecorder>> TooLongFields => new()
    {
        { "actor.name", r => r.Record(ValidName, actor: ActivityActor.User(1, Long(ActivityLimits.MaxNameLength))) },
        { "actor.id", r => r.Record(ValidName, actor: ActivityActor.User(Long(ActivityLimits.MaxIdLength), "Jane")) },
        { "actor.type", r => r.Record(ValidName, actor: new ActivityActor(Long(ActivityLimits.MaxTypeLength), "1", "Jane")) },
        { "actor.name", r => r.Record(ValidName, actor: ActivityActor.System(Long(ActivityLimits.MaxNameLength))) },
        { "resource.id", r => r.Record(ValidName, resource: new ActivityResource("user", Long(ActivityLimits.MaxIdLength), "Jane")) },
        { "resource.name", r => r.Record(ValidName, resource: new ActivityResource("user", "1", Long(ActivityLimits.MaxNameLength))) },
        { "resource.type", r => r.Record(ValidName, resource: new ActivityResource(Long(ActivityLimits.MaxTypeLength), "1")) },
        { "related[0].name", r => r.Record(ValidName, related: [new ActivityResource("stream", "1", Long(ActivityLimits.MaxNameLength))]) },
        { "related[1].id", r => r.Record(ValidName, related: [new ActivityResource("stream", "1"), new ActivityResource("stream", Long(ActivityLimits.MaxIdLength))]) },
        { "accountId", r => r.Record(ValidName, accountId: Long(ActivityLimits.MaxIdLength)) },
        { "context.ip_address", r => r.Record(ValidName, context: new ActivityRequestContext { IpAddress = Long(ActivityLimits.MaxContextValueLength) }) },
        { "context.user_agent", r => r.Record(ValidName, context: new ActivityRequestContext { UserAgent = Long(ActivityLimits.MaxContextValueLength) }) },
        { "context.auth_method", r => r.Record(ValidName, context: new ActivityRequestContext { AuthMethod = Long(ActivityLimits.MaxContextValueLength) }) },
        { "context.correlation_id", r => r.Record(ValidName, context: new ActivityRequestContext { CorrelationId = Long(ActivityLimits.MaxContextValueLength) }) },
        { "changes.field", r => r.Record(ValidName, changes: [ActivityChange.Of(Long(ActivityLimits.MaxFieldNameLength), 1, 2)]) },
        { "metadata.key", r => r.Record(ValidName, metadata: new Dictionary<string, object?> { [Long(ActivityLimits.MaxFieldNameLength)] = 1 }) },
    };

    [Theory]
    [MemberData(nameof(TooLongFields))]
    public void Over_long_value_is_rejected_naming_the_field(string field, Action<IActivityRecorder> record)
    {
        var act = () => record(_recorder);

        var thrown = act.Should().Throw<ArgumentException>().Which;
        thrown.ParamName.Should().Be(field);
        thrown.Message.Should().Contain(field);
    }

    public static TheoryData<string, Action<IActivityRecorder>> FieldsAtTheLimit => new()
    {
        { "actor.name", r => r.Record(ValidName, actor: ActivityActor.User(1, Exactly(ActivityLimits.MaxNameLength))) },
        { "actor.id", r => r.Record(ValidName, actor: ActivityActor.User(Exactly(ActivityLimits.MaxIdLength), "Jane")) },
        { "resource.id", r => r.Record(ValidName, resource: new ActivityResource("user", Exactly(ActivityLimits.MaxIdLength))) },
        { "resource.name", r => r.Record(ValidName, resource: new ActivityResource("user", "1", Exactly(ActivityLimits.MaxNameLength))) },
        { "accountId", r => r.Record(ValidName, accountId: Exactly(ActivityLimits.MaxIdLength)) },
        { "context.user_agent", r => r.Record(ValidName, context: new ActivityRequestContext { UserAgent = Exactly(ActivityLimits.MaxContextValueLength) }) },
        { "changes.field", r => r.Record(ValidName, changes: [ActivityChange.Of(Exactly(ActivityLimits.MaxFieldNameLength), 1, 2)]) },
    };

    [Theory]
    [MemberData(nameof(FieldsAtTheLimit))]
    public void Value_at_the_limit_is_accepted(string field, Action<IActivityRecorder> record)
    {
        var act = () => record(_recorder);

        act.Should().NotThrow(because: $"{field} is exactly at its limit");
    }

    [Fact]
    public void Numeric_ids_are_never_too_long()
    {
        var act = () => _recorder.Record(ValidName, actor: ActivityActor.User(long.MaxValue, "Jane"), resource: new ActivityResource("user", long.MinValue));

        act.Should().NotThrow();
    }

    [Fact]
    public void More_related_resources_than_the_limit_are_rejected()
    {
        var related = Enumerable.Range(0, ActivityLimits.MaxRelatedResources + 1).Select(i => new ActivityResource("stream", i)).ToArray();

        var act = () => _recorder.Record(ValidName, related: related);

        act.Should().Throw<ArgumentException>().WithMessage($"*{ActivityLimits.MaxRelatedResources}*").Which.ParamName.Should().Be("related");
    }

    [Fact]
    public void Default_related_resource_without_type_is_rejected()
    {
        var act = () => _recorder.Record(ValidName, related: [default]);

        act.Should().Throw<ArgumentException>().WithMessage("*type*").Which.ParamName.Should().Be("related");
    }

    [Fact]
    public void Default_resource_without_type_is_rejected()
    {
        var act = () => _recorder.Record(ValidName, resource: default(ActivityResource));

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("resource");
    }

    // ---- Changes ----

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Change_without_field_name_is_rejected(string field)
    {
        var act = () => _recorder.Record(ValidName, changes: [ActivityChange.Of("name", "a", "b"), ActivityChange.Of(field, Secret, "x")]);

        var thrown = act.Should().Throw<ArgumentException>().WithMessage("*field name*").Which;
        thrown.ParamName.Should().Be("changes");
        thrown.Message.Should().Contain("1").And.NotContain(Secret);
    }

    [Fact]
    public void Same_field_changed_twice_is_rejected_without_quoting_values()
    {
        var act = () => _recorder.Record(ValidName, changes:
        [
            ActivityChange.Of("api_key", "sk_old_" + Secret, Secret),
            ActivityChange.Of("name", "a", "b"),
            ActivityChange.Of("api_key", Secret, "sk_new_" + Secret),
        ]);

        var thrown = act.Should().Throw<ArgumentException>().Which;
        thrown.ParamName.Should().Be("changes");
        thrown.Message.Should().Contain("'api_key'").And.Contain("twice");
        thrown.Message.Should().NotContain(Secret);
    }

    [Fact]
    public void More_changes_than_the_limit_are_rejected()
    {
        var changes = Enumerable.Range(0, ActivityLimits.MaxChanges + 1).Select(i => ActivityChange.Of($"f{i}", i, i + 1)).ToArray();

        var act = () => _recorder.Record(ValidName, changes: changes);

        act.Should().Throw<ArgumentException>().WithMessage($"*at most {ActivityLimits.MaxChanges} changes*").Which.ParamName.Should().Be("changes");
    }

    [Fact]
    public void Exactly_the_maximum_number_of_changes_is_accepted()
    {
        var changes = Enumerable.Range(0, ActivityLimits.MaxChanges).Select(i => ActivityChange.Of($"f{i}", i, i + 1)).ToArray();

        var act = () => _recorder.Record(ValidName, changes: changes);

        act.Should().NotThrow();
    }

    [Fact]
    public void No_validation_message_quotes_a_change_value()
    {
        var failures = new List<Action>
        {
            () => _recorder.Record("Bad.name", changes: [ActivityChange.Of("password", Secret, Secret)]),
            () => _recorder.Record(ValidName, changes: [ActivityChange.Of("password", Secret, Secret), ActivityChange.Of("password", Secret, Secret)]),
            () => _recorder.Record(ValidName, changes: [ActivityChange.Of("", Secret, Secret)]),
            () => _recorder.Record(ValidName, changes: [ActivityChange.Of(Long(ActivityLimits.MaxFieldNameLength), Secret, Secret)]),
            () => _recorder.Record(ValidName, accountId: "", changes: [ActivityChange.Of("password", Secret, Secret)]),
        };

        foreach (var failure in failures)
        {
            failure.Should().Throw<ArgumentException>().Which.Message.Should().NotContain(Secret);
        }
    }

    // ---- Account, metadata ----

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void Empty_account_id_is_rejected(string accountId)
    {
        var act = () => _recorder.Record(ValidName, accountId: accountId);

        act.Should().Throw<ArgumentException>().WithMessage("*account id is empty*").Which.ParamName.Should().Be("accountId");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void Empty_metadata_key_is_rejected(string key)
    {
        var act = () => _recorder.Record(ValidName, metadata: new Dictionary<string, object?> { [key] = 1 });

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("metadata");
    }

    // ---- Valid input ----

    [Fact]
    public void Fully_populated_valid_entry_is_accepted()
    {
        var act = () => _recorder.Record(
            "activity_log.webhook.removed",
            resource: new ActivityResource("webhook", 5, "Logging"),
            changes: [ActivityChange.Of("name", "Logging", "Logs"), ActivityChange.Of("enabled", true, false)],
            actor: ActivityActor.User(42, "John Doe"),
            related: [new ActivityResource("sending_stream", "8", "Transactional")],
            accountId: "acme",
            context: new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "curl/8.5", AuthMethod = "GitHub", CorrelationId = "abc" },
            metadata: new Dictionary<string, object?> { ["source"] = "api" });

        act.Should().NotThrow();
    }

    [Fact]
    public void Minimal_valid_entry_is_accepted_with_unknown_actor()
    {
        var act = () => _recorder.Record(ValidName, actor: ActivityActor.Unknown);

        act.Should().NotThrow();
    }

    [Fact]
    public void Record_on_a_null_recorder_throws_ArgumentNullException()
    {
        var act = () => ((IActivityRecorder)null!).Record(ValidName);

        act.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("recorder");
    }

    private static string Long(int limit) => new('x', limit + 1);

    private static string Exactly(int limit) => new('x', limit);
}

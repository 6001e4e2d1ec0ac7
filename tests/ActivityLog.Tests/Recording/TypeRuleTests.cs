using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Tests.Recording;

/// <summary>
/// Resource, related and actor types follow the event name's segment rule (lower snake_case): <c>"User Profile"</c>
/// is refused at <c>Record</c> the same way <c>activity_log.User Profile.updated</c> would be, naming the field.
/// </summary>
public sealed class TypeRuleTests : IDisposable
{
    private const string Name = "activity_log.user.updated";

    private readonly ServiceProvider _services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();

    private IActivityRecorder Recorder => _services.GetRequiredService<IActivityRecorder>();

    public void Dispose() => _services.Dispose();

    public static TheoryData<string> BadTypes => new() { "User Profile", "User", "user-profile", "user.profile", "_user", "2fa", "usér" };

    [Theory]
    [MemberData(nameof(BadTypes))]
    public void A_resource_type_outside_the_segment_rule_is_refused_naming_resource_type(string type)
    {
        var record = () => Recorder.Record(Name, new ActivityResource(type, 1, "Jane"));

        var thrown = record.Should().Throw<ArgumentException>().Which;
        thrown.ParamName.Should().Be("resource.type");
        thrown.Message.Should().Contain("lower snake_case");
    }

    [Theory]
    [MemberData(nameof(BadTypes))]
    public void A_related_type_outside_the_segment_rule_is_refused_naming_its_index(string type)
    {
        var record = () => Recorder.Record(Name, new ActivityResource("user", 1), related: [new ActivityResource("team", 2), new ActivityResource(type, 3)]);

        record.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("related[1].type");
    }

    [Theory]
    [MemberData(nameof(BadTypes))]
    public void An_actor_type_outside_the_segment_rule_is_refused_naming_actor_type(string type)
    {
        var record = () => Recorder.Record(Name, actor: new ActivityActor(type, "1", "Jane"));

        record.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("actor.type");
    }

    [Fact]
    public void An_ambient_actor_type_outside_the_segment_rule_is_refused_when_the_scope_begins()
    {
        var begin = () => ActivityScope.Begin(new ActivityActor("Service Account", "1", "Jane"));

        begin.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("actor.type");
    }

    [Theory]
    [InlineData("user")]
    [InlineData("api_token")]
    [InlineData("user_profile")]
    [InlineData("v2_item")]
    public void Types_that_can_sit_in_a_name_are_accepted_everywhere(string type)
    {
        var record = () => Recorder.Record(
            $"activity_log.{type}.updated", new ActivityResource(type, 1), actor: new ActivityActor(type, "1", "Jane"), related: [new ActivityResource(type, 2)]);

        record.Should().NotThrow();
    }

    [Fact]
    public void The_built_in_actors_pass()
    {
        var record = () =>
        {
            Recorder.Record(Name, actor: ActivityActor.User(1, "Jane"));
            Recorder.Record(Name, actor: ActivityActor.System("Nightly job"));
            Recorder.Record(Name, actor: ActivityActor.Unknown);
        };

        record.Should().NotThrow();
    }
}

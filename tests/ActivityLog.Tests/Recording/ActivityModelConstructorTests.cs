namespace ActivityLog.Tests.Recording;

/// <summary>The public model types reject what can never be valid as soon as they are built.</summary>
public sealed class ActivityModelConstructorTests
{
    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t")]
    public void Resource_with_empty_type_throws(string type)
    {
        FluentActions.Invoking(() => new ActivityResource(type, "1")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("type");
        FluentActions.Invoking(() => new ActivityResource(type, 1L)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("type");
    }

    [Fact]
    public void Resource_with_null_type_throws()
    {
        FluentActions.Invoking(() => new ActivityResource(null!, "1")).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void Actor_with_empty_type_throws(string type)
    {
        FluentActions.Invoking(() => new ActivityActor(type, "1", "x")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("type");
        FluentActions.Invoking(() => new ActivityActor(type, 1L, "x")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("type");
    }

    [Fact]
    public void Resource_from_a_long_id_exposes_it_as_an_invariant_string()
    {
        var resource = new ActivityResource("user", 783L, "Jane Doe");

        resource.Id.Should().Be("783");
        resource.Type.Should().Be("user");
        resource.Name.Should().Be("Jane Doe");
    }

    [Fact]
    public void Actor_factories_set_type_and_id_kind()
    {
        ActivityActor.User(783, "Jane").Should().Match<ActivityActor>(a => a.Type == "user" && a.HasNumericId && a.NumericId == 783 && a.Id == "783");
        ActivityActor.User("u_1", "Jane").Should().Match<ActivityActor>(a => a.Type == "user" && !a.HasNumericId && a.NumericId == null && a.Id == "u_1");
        ActivityActor.ApiToken(5, "CI").Type.Should().Be("api_token");
        ActivityActor.System("Nightly").Should().Match<ActivityActor>(a => a.Type == "system" && a.Id == null && a.Name == "Nightly");
    }

    [Fact]
    public void Default_actor_is_the_unknown_actor()
    {
        default(ActivityActor).IsUnknown.Should().BeTrue();
        ActivityActor.Unknown.Type.Should().Be("unknown");
        ActivityActor.Unknown.Should().Be(default(ActivityActor));
        ActivityActor.System("x").IsUnknown.Should().BeFalse();
    }

    [Fact]
    public void Numeric_and_string_ids_with_the_same_digits_are_different_actors()
    {
        ActivityActor.User(783, "Jane").Should().NotBe(ActivityActor.User("783", "Jane"));
        ActivityActor.User(783, "Jane").Should().Be(ActivityActor.User(783, "Jane"));
    }
}

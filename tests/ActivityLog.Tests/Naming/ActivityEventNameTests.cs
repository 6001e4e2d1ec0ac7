using ActivityLog.Naming;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Tests.Naming;

/// <summary>
/// The one event-name grammar, as a table: which names and patterns are valid and what each pattern matches. The
/// same table drives the recorder, the description templates and (in their own test projects) the reader, the HTTP
/// filters and the webhook endpoints, so the users cannot drift apart again.
/// </summary>
public sealed class ActivityEventNameTests
{
    public static TheoryData<string, bool> Names => new()
    {
        { "activity_log.user.updated", true },
        { "activity_log.api_token.created", true },
        { "activity_log.user2.v2_done", true },
        { "activity_log.user.profile.updated", true },
        { "activity_log.user", false },
        { "activity_log", false },
        { "", false },
        { " ", false },
        { "Activity_log.user.updated", false },
        { "activity_log.User.updated", false },
        { "activity_log.user.up-dated", false },
        { "activity_log.user.up dated", false },
        { "activity_log._user.updated", false },
        { "activity_log.1user.updated", false },
        { "activity_log..updated", false },
        { "activity_log.user.updated.", false },
        { "activity_log.user.*", false },
        { "activity_log.us*.updated", false },
        { "activity_log.usér.updated", false },
        { "activity_log.user." + new string('a', ActivityLimits.MaxEventNameLength), false },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Names_follow_the_recorders_rule(string name, bool valid)
    {
        (ActivityEventName.DescribeName(name) is null).Should().Be(valid);

        // The recorder is the rule's first user: it accepts exactly these names.
        using var services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();
        var record = () => services.GetRequiredService<IActivityRecorder>().Record(name);
        if (valid)
        {
            record.Should().NotThrow();
        }
        else
        {
            record.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("eventName");
        }
    }

    /// <summary>Patterns: valid ones with the names they must and must not match; invalid ones with the reason shown.</summary>
    public static TheoryData<string, string?, string[], string[]> Patterns => new()
    {
        { "*", null, ["activity_log.user.updated", "activity_log.webhook.removed"], [] },
        { "activity_log.*", null, ["activity_log.user.updated", "activity_log.webhook.removed"], ["activity_logs.user.updated"] },
        {
            "activity_log.user.*", null,
            ["activity_log.user.updated", "activity_log.user.profile.updated"],
            ["activity_log.user_role.created", "activity_log.users.updated", "activity_log.userxrole.created", "activityxlog.user.created"]
        },
        { "activity_log.user.updated", null, ["activity_log.user.updated"], ["activity_log.user.updated_twice", "activity_log.user.update"] },
        { "activity_log.us*", "contains '*'", [], [] },
        { "activity_log.user_*", "contains '*'", [], [] },
        { "activity_log.*.created", "contains '*'", [], [] },
        { "*.created", "contains '*'", [], [] },
        { "**", "contains '*'", [], [] },
        { ".*", "contains '*'", [], [] },
        { "activity_log.user", "three segments", [], [] },
        { "activity_log.User.*", "contains 'U'", [], [] },
        { "activity_log.%", "contains '%'", [], [] },
        { "activity_log.user .*", "contains ' '", [], [] },
        { "", "empty", [], [] },
        { "  ", "empty", [], [] },
    };

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Patterns_parse_and_match_by_one_rule(string pattern, string? problem, string[] matches, string[] misses)
    {
        bool parsed = ActivityEventName.TryParsePattern(pattern, out var parsedPattern, out string? why);

        parsed.Should().Be(problem is null, pattern);
        if (problem is not null)
        {
            why.Should().Contain(problem);
            var parse = () => ActivityEventName.ParsePattern(pattern, "Events:0", "patterns");
            var thrown = parse.Should().Throw<ArgumentException>().Which;
            thrown.ParamName.Should().Be("patterns");
            thrown.Message.Should().Contain("Events:0").And.Contain(ActivityEventName.PatternGrammar);
            ActivityEventName.Matches(pattern, "activity_log.user.updated").Should().BeFalse("a malformed pattern matches nothing");
            return;
        }

        foreach (string name in matches)
        {
            ActivityEventName.Matches(pattern, name).Should().BeTrue($"'{pattern}' should match '{name}'");
            parsedPattern.Matches(name).Should().BeTrue();
        }

        foreach (string name in misses)
        {
            ActivityEventName.Matches(pattern, name).Should().BeFalse($"'{pattern}' should not match '{name}'");
        }
    }

    [Fact]
    public void A_prefix_pattern_keeps_its_dot_so_a_store_can_translate_it_to_a_LIKE_prefix()
    {
        ActivityEventName.ParsePattern("activity_log.user.*", "f").Should().Be(new EventNamePattern(EventNamePatternKind.Prefix, "activity_log.user."));
        ActivityEventName.ParsePattern("activity_log.user.updated", "f").Should().Be(new EventNamePattern(EventNamePatternKind.Exact, "activity_log.user.updated"));
        ActivityEventName.ParsePattern("*", "f").Kind.Should().Be(EventNamePatternKind.All);
    }

    [Theory]
    [InlineData("user", true)]
    [InlineData("api_token", true)]
    [InlineData("user2", true)]
    [InlineData("User Profile", false)]
    [InlineData("user_profile", true)]
    [InlineData("User", false)]
    [InlineData("user-profile", false)]
    [InlineData("user.profile", false)]
    [InlineData("_user", false)]
    [InlineData("2fa", false)]
    [InlineData("", false)]
    public void Types_follow_the_name_segment_rule(string type, bool valid)
    {
        (ActivityEventName.DescribeType(type) is null).Should().Be(valid);
        ActivityEventName.IsSegment(type).Should().Be(valid);

        // Every valid type makes a valid name segment.
        if (valid)
        {
            ActivityEventName.DescribeName($"activity_log.{type}.created").Should().BeNull();
        }
    }
}

using System.Globalization;
using ActivityLog.Naming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Tests.Formatting;

/// <summary>
/// Description template keys follow the one event-name grammar: exact names and <c>prefix.*</c> patterns are accepted
/// and match exactly the names the reader and webhooks match; anything else fails when added or at start.
/// </summary>
public sealed class TemplateKeyGrammarTests
{
    private static ActivityLogEvent Event(string name) => new() { Name = name, Actor = ActivityActor.User(1, "Jane"), RelatedResources = [] };

    [Theory]
    [InlineData("activity_log.us*")]
    [InlineData("activity_log.*.created")]
    [InlineData("Activity_Log.User.Updated")]
    [InlineData("activity_log.user")]
    [InlineData("user updated")]
    public void A_key_outside_the_grammar_is_refused_when_added_naming_the_grammar(string key)
    {
        var add = () => new ActivityDescriptionOptions().AddTemplate(key, "did something");
        var builder = () => new ServiceCollection().AddActivityLog().AddDescription(key, "did something");

        add.Should().Throw<ArgumentException>().WithMessage("*description template key*").Which.ParamName.Should().Be("eventName");
        builder.Should().Throw<ArgumentException>().WithMessage($"*{ActivityEventName.PatternGrammar}*");
    }

    [Fact]
    public async Task A_key_outside_the_grammar_from_configuration_fails_at_start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ActivityLog:Descriptions:Templates:activity_log.us*"] = "did something",
        });
        builder.Services.AddActivityLog(builder.Configuration.GetSection("ActivityLog"));
        using var host = builder.Build();

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>())
            .WithMessage("*ActivityLog:Descriptions*activity_log.us*malformed*");
    }

    [Fact]
    public void An_exact_key_wins_over_a_pattern_and_a_longer_pattern_over_a_shorter_one()
    {
        var formatter = new ActivityDescriptionFormatter(new ActivityDescriptionOptions()
            .AddTemplate("*", "did anything")
            .AddTemplate("activity_log.*", "did something")
            .AddTemplate("activity_log.user.*", "changed a user")
            .AddTemplate("activity_log.user.deleted", "deleted a user"));

        formatter.Describe(Event("activity_log.user.deleted")).Should().Be("deleted a user");
        formatter.Describe(Event("activity_log.user.updated")).Should().Be("changed a user");
        formatter.Describe(Event("activity_log.user_role.created")).Should().Be("did something", "user.* never matches user_role");
        formatter.Describe(Event("activity_log.webhook.removed")).Should().Be("did something");
        formatter.Describe(Event("other_log.webhook.removed")).Should().Be("did anything");
    }

    [Fact]
    public void A_culture_s_pattern_wins_over_the_default_templates_exact_name()
    {
        var formatter = new ActivityDescriptionFormatter(new ActivityDescriptionOptions()
            .AddTemplate("activity_log.user.updated", "updated a user")
            .AddTemplate("activity_log.user.*", "hat einen Benutzer geändert", "de"));

        formatter.Describe(Event("activity_log.user.updated"), CultureInfo.GetCultureInfo("de-AT")).Should().Be("hat einen Benutzer geändert");
        formatter.Describe(Event("activity_log.user.updated")).Should().Be("updated a user");
    }

    /// <summary>The same names as the grammar table's <c>activity_log.user.*</c> row: templates match what the reader and webhooks match.</summary>
    [Theory]
    [InlineData("activity_log.user.updated", true)]
    [InlineData("activity_log.user.profile.updated", true)]
    [InlineData("activity_log.user_role.created", false)]
    [InlineData("activity_log.users.updated", false)]
    [InlineData("activityxlog.user.created", false)]
    public void A_user_pattern_key_matches_the_names_the_grammar_matches(string name, bool matches)
    {
        var formatter = new ActivityDescriptionFormatter(new ActivityDescriptionOptions().AddTemplate("activity_log.user.*", "changed a user"));

        (formatter.Describe(Event(name)) == "changed a user").Should().Be(matches);
        ActivityEventName.Matches("activity_log.user.*", name).Should().Be(matches);
    }
}

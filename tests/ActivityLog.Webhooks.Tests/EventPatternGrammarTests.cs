using ActivityLog.Naming;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// Webhook endpoint filters use the one event-name grammar: they accept and refuse the patterns the reader and the
/// templates do (<c>activity_log.us*</c> fails at start, as it fails a reader query) and match the same names.
/// </summary>
public sealed class EventPatternGrammarTests
{
    private static readonly string[] Names =
    [
        "activity_log.user.updated", "activity_log.user.profile.updated", "activity_log.user_role.created", "activity_log.users.updated",
        "activity_log.userxrole.created", "activityxlog.user.created", "activity_log.webhook.removed",
    ];

    [Theory]
    [InlineData("*")]
    [InlineData("activity_log.*")]
    [InlineData("activity_log.user.*")]
    [InlineData("activity_log.user_role.*")]
    [InlineData("activity_log.user.updated")]
    public void An_endpoint_filter_matches_exactly_what_the_grammar_matches(string pattern)
    {
        var filter = new WebhookEventFilter([pattern]);

        foreach (string name in Names)
        {
            filter.Accepts(name).Should().Be(ActivityEventName.Matches(pattern, name), $"'{pattern}' against '{name}'");
        }

        Names.Should().Contain(n => filter.Accepts(n), "the names exercise the pattern");
    }

    [Theory]
    [InlineData("activity_log.us*")]
    [InlineData("activity_log.user_*")]
    [InlineData("activity_log.*.created")]
    [InlineData("activity_log.user")]
    [InlineData("Activity_log.user.*")]
    public async Task A_pattern_the_reader_refuses_fails_at_start_naming_the_key_and_the_grammar(string pattern)
    {
        using var host = WebhookTestHost.Build(
            o => o.Endpoints["main"] = new WebhookEndpointOptions { Url = new Uri("https://example.com/"), Secret = WebhookTestHost.Secret, Events = { pattern } },
            new FakeTimeProvider());

        var start = () => host.StartAsync();

        string message = (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message;
        message.Should().Contain($"ActivityLog:Webhooks:Endpoints:main:Events: the event pattern '{pattern}' is malformed")
            .And.Contain(ActivityEventName.PatternGrammar);
        ActivityEventName.TryParsePattern(pattern, out _, out _).Should().BeFalse("the reader and the templates use the same parser");
        var build = () => new WebhookEventFilter([pattern]);
        build.Should().Throw<ArgumentException>().WithMessage($"*Events:0*{pattern}*");
    }
}

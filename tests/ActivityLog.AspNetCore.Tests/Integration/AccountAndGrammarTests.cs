using System.Net;
using ActivityLog.AspNetCore.Tests.Support;
using ActivityLog.Naming;
using ActivityLog.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>
/// A multi-account host (the ASP.NET Core integration always knows where the account comes from) never stores an
/// event without an account silently; and the page's and API's <c>event</c> filter is the one event-name grammar.
/// </summary>
[Collection(SequentialTests.Name)]
public sealed class AccountAndGrammarTests
{
    private const string Api = "/settings/activity-log/api/events";

    private static Task<TestWebApp> StartAsync(Action<IServiceCollection>? services = null) => TestWebApp.StartAsync(new TestWebAppOptions
    {
        Map = app => app.MapGet("/domains/add", (IActivityRecorder recorder) =>
        {
            recorder.Record("activity_log.domain.added", new ActivityResource("domain", "7", "example.com"));
            return "ok";
        }),
        Services = s =>
        {
            s.AddFakeLogging();
            s.AddActivityLog().AddCapture();
            services?.Invoke(s);
        },
    });

    [Fact]
    public async Task A_signed_in_user_without_the_account_claim_is_counted_and_logged_never_stored()
    {
        await using var app = await StartAsync();
        using var dropped = new MetricCollector<long>(app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "ActivityLog", "activitylog.events.dropped");
        app.Services.GetRequiredService<IOptions<ActivityLogOptions>>().Value.MissingAccount.Should().Be(ActivityMissingAccountMode.Drop);

        using (var withoutAccount = await app.GetAsync("/domains/add", new TestUser("783", "John Doe", Account: null)))
        {
            withoutAccount.StatusCode.Should().Be(HttpStatusCode.OK, "the request itself is not failed by a missing account");
        }

        using (var withAccount = await app.GetAsync("/domains/add", TestUser.John))
        {
            withAccount.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var delivered = await app.Services.GetRequiredService<CapturingActivitySink>().FlushAsync();

        delivered.Should().ContainSingle("no sink, the store included, receives the event without an account").Which.AccountId.Should().Be("acct-a");
        (await app.Reader.ReadPageAsync(new ActivityLogQuery("acct-a"))).Events.Should().ContainSingle();
        dropped.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags["reason"].Should().Be("missing_account");
        app.Services.GetRequiredService<IActivityDispatcher>().DroppedCount.Should().Be(1);
        app.Services.GetFakeLogCollector().GetSnapshot()
            .Should().Contain(r => r.Level == LogLevel.Warning && r.Message.Contains("without an account", StringComparison.Ordinal) &&
                r.Message.Contains("activity_log.domain.added", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Allow_is_an_explicit_opt_in_to_store_events_without_an_account()
    {
        await using var app = await StartAsync(s => s.Configure<ActivityLogOptions>(o => o.MissingAccount = ActivityMissingAccountMode.Allow));

        using (var response = await app.GetAsync("/domains/add", new TestUser("783", "John Doe", Account: null)))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var delivered = await app.Services.GetRequiredService<CapturingActivitySink>().FlushAsync();
        delivered.Should().ContainSingle().Which.AccountId.Should().BeNull();
        app.Services.GetRequiredService<IActivityDispatcher>().DroppedCount.Should().Be(0);
    }

    [Theory]
    [InlineData("activity_log.us*")]
    [InlineData("activity_log.user_*")]
    [InlineData("activity_log.*.created")]
    [InlineData("activity_log.user")]
    public async Task A_pattern_the_reader_and_webhooks_refuse_is_a_400_naming_the_parameter_and_the_grammar(string pattern)
    {
        await using var app = await StartAsync();

        foreach (string url in new[] { Api + "?", "/settings/activity-log?", "/settings/activity-log/api/export?format=jsonl&" })
        {
            using var response = await app.GetAsync($"{url}event={Uri.EscapeDataString(pattern)}", TestUser.John);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, url);
            string body = await response.Content.ReadAsStringAsync();
            body.Should().Contain("event").And.Contain(pattern, url);
        }

        var problem = await ApiJson.ReadProblemAsync(await app.GetAsync($"{Api}?event={Uri.EscapeDataString(pattern)}", TestUser.John), HttpStatusCode.BadRequest);
        problem.GetProperty("detail").GetString().Should().Contain("'event'").And.Contain(ActivityEventName.PatternGrammar);
    }

    [Fact]
    public async Task A_user_pattern_returns_the_events_the_grammar_matches()
    {
        await using var app = await StartAsync();
        string[] names =
        [
            "activity_log.user.updated", "activity_log.user.profile.updated", "activity_log.user_role.created", "activity_log.users.updated",
            "activity_log.webhook.removed",
        ];
        foreach (string name in names)
        {
            Seed.Record(app, "acct-a", Seed.John, name, new ActivityResource("user", "783", "John Doe"));
        }

        await app.FlushAsync();

        var page = await ApiJson.ReadPageAsync(await app.GetAsync($"{Api}?event=activity_log.user.*", TestUser.John));

        page.Names.Should().BeEquivalentTo(names.Where(n => ActivityEventName.Matches("activity_log.user.*", n)));
        page.Names.Should().BeEquivalentTo(["activity_log.user.updated", "activity_log.user.profile.updated"]);
    }
}

using System.Diagnostics;
using System.Net;
using ActivityLog.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>
/// UseActivityLog: what a handler's plain <c>Record(…)</c> call stores, read back from the real store. Runs alone
/// (no parallel classes) because one test listens to ASP.NET Core's activities process-wide.
/// </summary>
[Collection(SequentialTests.Name)]
public sealed class ContextCaptureTests
{
    private const string Event = "activity_log.domain.added";

    [Fact]
    public async Task A_signed_in_user_is_the_actor_with_account_ip_user_agent_auth_method_and_correlation_id()
    {
        await using var app = await StartAsync();
        using var response = await app.GetAsync("/domains/add", TestUser.John with { Claims = [("amr", "GitHub")] },
            r => r.Headers.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        string traceIdentifier = await response.Content.ReadAsStringAsync();

        var recorded = await SingleEventAsync(app, "acct-a");
        recorded.Actor.Type.Should().Be("user");
        recorded.Actor.Id.Should().Be("783");
        recorded.Actor.HasNumericId.Should().BeTrue("a canonical integer id claim becomes a JSON number, as in the seed payload");
        recorded.Actor.Name.Should().Be("John Doe");
        recorded.AccountId.Should().Be("acct-a");
        recorded.Context!.IpAddress.Should().Be("127.0.0.1");
        recorded.Context.UserAgent.Should().Be("Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0");
        recorded.Context.AuthMethod.Should().Be("GitHub");
        recorded.Context.CorrelationId.Should().Be(traceIdentifier, "without a trace the request's TraceIdentifier ties the event to the request");
        recorded.Description.Should().Be("added the domain example.com");
    }

    [Fact]
    public async Task The_correlation_id_is_the_trace_id_of_the_request()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = await StartAsync();
        var traceId = ActivityTraceId.CreateRandom();
        using var response = await app.GetAsync("/domains/add", TestUser.John,
            r => r.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var recorded = await SingleEventAsync(app, "acct-a");
        recorded.Context!.CorrelationId.Should().Be(traceId.ToHexString());
    }

    [Fact]
    public async Task An_unidentified_user_id_stays_text_and_the_auth_method_falls_back_to_the_authentication_type()
    {
        await using var app = await StartAsync();
        using var response = await app.GetAsync("/domains/add", new TestUser("u_0042", "Ann Lee", "acct-a"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var recorded = await SingleEventAsync(app, "acct-a");
        recorded.Actor.Id.Should().Be("u_0042");
        recorded.Actor.HasNumericId.Should().BeFalse();
        recorded.Context!.AuthMethod.Should().Be(HeaderAuthenticationHandler.SchemeName);
    }

    [Fact]
    public async Task An_api_token_caller_is_an_api_token_actor_by_authentication_type_or_by_claim()
    {
        await using var app = await StartAsync(http: o => o.ApiTokenAuthenticationTypes.Add("ApiKey"));
        using (var byType = await app.GetAsync("/domains/add", new TestUser("tok_1", "Deploy bot", "acct-a") { AuthType = "ApiKey" }))
        {
            byType.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using (var byClaim = await app.GetAsync("/domains/add", new TestUser("tok_2", "CI token", "acct-a") { Claims = [("actor_type", "api_token")] }))
        {
            byClaim.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        await app.FlushAsync();
        var page = await app.Reader.ReadPageAsync(new ActivityLogQuery("acct-a"));
        page.Events.Select(e => (e.Actor.Type, e.Actor.Id, e.Actor.Name)).Should().BeEquivalentTo(
            [("api_token", "tok_2", "CI token"), ("api_token", "tok_1", "Deploy bot")]);
    }

    [Fact]
    public async Task An_anonymous_caller_is_the_unknown_actor_shown_as_someone()
    {
        await using var app = await StartAsync(http: o => o.AccountHeader = "X-Account");
        using var response = await app.GetAsync("/login/failed", user: null, r => r.Headers.Add("X-Account", "acct-a"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var recorded = await SingleEventAsync(app, "acct-a");
        recorded.Actor.IsUnknown.Should().BeTrue();
        recorded.Context!.AuthMethod.Should().Be("GitHub", "the handler names how the failed attempt tried to sign in");
        app.Services.GetRequiredService<ActivityLog.ActivityDescriptionFormatter>().FormatSentence(recorded)
            .Should().Be("Someone attempted to log in to the user John Doe using GitHub.");
    }

    [Fact]
    public async Task The_account_comes_from_a_route_value_when_configured()
    {
        await using var app = await StartAsync(http: o =>
        {
            o.AccountClaimType = null;
            o.AccountRouteValue = "accountId";
        });
        using var response = await app.GetAsync("/accounts/acct-route/domains/add", TestUser.John);
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var recorded = await SingleEventAsync(app, "acct-route");
        recorded.AccountId.Should().Be("acct-route", "the route value, not John's account_id claim (ignored when AccountClaimType is null)");
        recorded.Actor.Name.Should().Be("John Doe");
    }

    [Fact]
    public async Task The_account_comes_from_a_header_or_a_delegate_when_configured()
    {
        await using (var app = await StartAsync(http: o =>
        {
            o.AccountClaimType = null;
            o.AccountHeader = "X-Account";
        }))
        {
            using var response = await app.GetAsync("/domains/add", TestUser.John, r => r.Headers.Add("X-Account", "acct-header"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            (await SingleEventAsync(app, "acct-header")).AccountId.Should().Be("acct-header");
        }

        await using (var app = await StartAsync(http: o => o.AccountResolver = context => "acct-" + context.User.FindFirst("team")?.Value))
        {
            using var response = await app.GetAsync("/domains/add", TestUser.John with { Claims = [("team", "delegate")] });
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            (await SingleEventAsync(app, "acct-delegate")).AccountId.Should().Be("acct-delegate");
        }
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_client_ip_is_the_forwarded_one()
    {
        await using var app = await StartAsync(forwardedHeaders: true);
        using var response = await app.GetAsync("/domains/add", TestUser.John, r => r.Headers.Add("X-Forwarded-For", "203.0.113.7"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        (await SingleEventAsync(app, "acct-a")).Context!.IpAddress.Should().Be("203.0.113.7");
    }

    [Fact]
    public async Task Without_the_forwarded_headers_middleware_a_forwarded_for_header_is_not_trusted()
    {
        await using var app = await StartAsync(forwardedHeaders: false);
        using var response = await app.GetAsync("/domains/add", TestUser.John, r => r.Headers.Add("X-Forwarded-For", "203.0.113.7"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        (await SingleEventAsync(app, "acct-a")).Context!.IpAddress.Should().Be("127.0.0.1");
    }

    [Fact]
    public async Task Values_the_handler_passes_win_over_the_ambient_ones_and_a_huge_user_agent_is_cut_not_fatal()
    {
        await using var app = await StartAsync();
        using var response = await app.GetAsync("/explicit", TestUser.John, r => r.Headers.TryAddWithoutValidation("User-Agent", new string('x', 5000)));
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var recorded = await SingleEventAsync(app, "acct-a");
        recorded.Actor.Should().Be(ActivityActor.System("Nightly cleanup"));
        recorded.Context!.AuthMethod.Should().Be("scheduler");
        recorded.Context.UserAgent.Should().HaveLength(ActivityLimits.MaxContextValueLength);
        recorded.Context.IpAddress.Should().Be("127.0.0.1", "gaps in the handler's context are filled from the request");
    }

    [Fact]
    public async Task Options_that_name_no_way_to_find_the_account_fail_the_start()
    {
        var start = () => StartAsync(http: o => o.AccountClaimType = null);
        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("AccountClaimType");
    }

    [Fact]
    public async Task A_missing_claim_type_list_and_an_empty_header_name_fail_the_start_naming_their_configuration_paths()
    {
        var start = () => StartAsync(http: o =>
        {
            o.ActorIdClaimTypes = null!;
            o.AccountHeader = " ";
        });
        var failures = (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures;
        failures.Should().Contain(f => f.Contains("ActivityLog:AspNetCore:ActorIdClaimTypes", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("ActivityLog:AspNetCore:AccountHeader", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Work_a_request_left_running_records_that_requests_context_after_its_connection_served_another()
    {
        // The context is read at the first Record; Kestrel reuses a keep-alive connection's HttpContext for its next
        // request, so a Record after the response must not read the HttpContext then (it would be the next request's).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? background = null;
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions
        {
            Map = web =>
            {
                MapHandlers(web);
                web.MapGet("/domains/later", (HttpContext context, IActivityRecorder recorder) =>
                {
                    background = Task.Run(async () =>
                    {
                        await release.Task;
                        recorder.Record(Event, new ActivityResource("domain", "8", "later.example.com"));
                    });
                    return context.TraceIdentifier;
                });
            },
        });

        using var first = await app.GetAsync("/domains/later", TestUser.John, r => r.Headers.UserAgent.ParseAdd("First/1.0"));
        string firstTrace = await first.Content.ReadAsStringAsync();
        using var second = await app.GetAsync("/domains/add", TestUser.John, r => r.Headers.UserAgent.ParseAdd("Second/2.0"));
        string secondTrace = await second.Content.ReadAsStringAsync();
        secondTrace.Should().NotBe(firstTrace);
        release.SetResult();
        await background!.WaitAsync(TimeSpan.FromSeconds(30));

        await app.FlushAsync();
        var events = (await app.Reader.ReadPageAsync(new ActivityLogQuery("acct-a"))).Events;
        events.Should().HaveCount(2);
        var later = events.Single(e => e.Resource!.Value.Id == "8");
        later.Context!.UserAgent.Should().Be("First/1.0");
        later.Context.CorrelationId.Should().Be(firstTrace);
        later.Context.IpAddress.Should().Be("127.0.0.1");
        later.Context.AuthMethod.Should().Be(HeaderAuthenticationHandler.SchemeName);
        var next = events.Single(e => e.Resource!.Value.Id == "7");
        next.Context!.UserAgent.Should().Be("Second/2.0");
        next.Context.CorrelationId.Should().Be(secondTrace);
    }

    [Fact]
    public async Task Requests_that_record_in_parallel_tasks_share_one_context()
    {
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions
        {
            Map = web => web.MapGet("/domains/parallel", async (HttpContext context, IActivityRecorder recorder) =>
            {
                await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
                    recorder.Record(Event, new ActivityResource("domain", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "example.com")))));
                return context.TraceIdentifier;
            }),
        });

        using var response = await app.GetAsync("/domains/parallel", TestUser.John, r => r.Headers.UserAgent.ParseAdd("Parallel/1.0"));
        string trace = await response.Content.ReadAsStringAsync();
        await app.FlushAsync();
        var events = (await app.Reader.ReadPageAsync(new ActivityLogQuery("acct-a"))).Events;
        events.Should().HaveCount(8).And.OnlyContain(e => e.Context!.CorrelationId == trace && e.Context.UserAgent == "Parallel/1.0");
    }

    [Fact]
    public async Task Options_bind_from_configuration()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ActivityLog:AspNetCore:AccountClaimType"] = "tenant",
                ["ActivityLog:AspNetCore:ApiTokenAuthenticationTypes:0"] = "ApiKey",
                ["ActivityLog:AspNetCore:ActorIdClaimTypes:0"] = "uid",
                ["ActivityLog:AspNetCore:CaptureUserAgent"] = "false",
            })
            .Build();
        services.AddActivityLog().AddAspNetCore(configuration.GetSection(ActivityLogHttpOptions.SectionName));
        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ActivityLogHttpOptions>>().Value;
        options.AccountClaimType.Should().Be("tenant");
        options.ApiTokenAuthenticationTypes.Should().Equal("ApiKey");
        options.ActorIdClaimTypes.Should().Equal("uid");
        options.CaptureUserAgent.Should().BeFalse();
    }

    private static Task<TestWebApp> StartAsync(Action<ActivityLogHttpOptions>? http = null, bool forwardedHeaders = false) =>
        TestWebApp.StartAsync(new TestWebAppOptions
        {
            Http = http,
            ForwardedHeaders = forwardedHeaders,
            Map = MapHandlers,
        });

    /// <summary>Handlers as an app writes them: they only call Record.</summary>
    private static void MapHandlers(WebApplication app)
    {
        app.MapGet("/domains/add", (HttpContext context, IActivityRecorder recorder) =>
        {
            recorder.Record(Event, new ActivityResource("domain", "7", "example.com"));
            return context.TraceIdentifier;
        }).AllowAnonymous();
        app.MapGet("/accounts/{accountId}/domains/add", (string accountId, IActivityRecorder recorder) =>
        {
            recorder.Record(Event, new ActivityResource("domain", "7", "example.com"));
            return accountId;
        });
        app.MapGet("/login/failed", (IActivityRecorder recorder) =>
        {
            recorder.Record("activity_log.user.login_failed", new ActivityResource("user", 783, "John Doe"), context: new ActivityRequestContext { AuthMethod = "GitHub" });
            return "ok";
        }).AllowAnonymous();
        app.MapGet("/explicit", (IActivityRecorder recorder) =>
        {
            recorder.Record(Event, new ActivityResource("domain", "7", "example.com"),
                actor: ActivityActor.System("Nightly cleanup"), context: new ActivityRequestContext { AuthMethod = "scheduler" });
            return "ok";
        });
    }

    private static async Task<ActivityLogEvent> SingleEventAsync(TestWebApp app, string account)
    {
        await app.FlushAsync();
        var page = await app.Reader.ReadPageAsync(new ActivityLogQuery(account));
        return page.Events.Should().ContainSingle().Subject;
    }
}

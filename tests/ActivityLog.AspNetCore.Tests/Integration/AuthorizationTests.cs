using System.Net;
using System.Text.RegularExpressions;
using ActivityLog.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>MapActivityLog's security: authorization on every route, the caller's own account only, safe headers.</summary>
public sealed class AuthorizationTests
{
    private const string Page = "/settings/activity-log";

    public static TheoryData<string> Routes => new() { Page, Page + "/api/events", Page + "/api/export?format=csv", Page + "/api/export?format=jsonl" };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task An_anonymous_caller_is_challenged(string route)
    {
        await using var app = await TestWebApp.StartAsync();
        await Seed.SeedExamplesAsync(app, "acct-a");

        using var response = await app.GetAsync(route, user: null);
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("John Doe");
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_signed_in_caller_without_an_account_is_forbidden(string route)
    {
        await using var app = await TestWebApp.StartAsync();
        await Seed.SeedExamplesAsync(app, "acct-a");

        using var response = await app.GetAsync(route, new TestUser("900", "No Account", Account: null));
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("John Doe");
    }

    [Fact]
    public async Task Another_accounts_events_are_unreachable_whatever_the_query_string_says()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Record(app, "acct-a", Seed.John, "activity_log.domain.added", new ActivityResource("domain", "1", "a.example"));
        for (int i = 0; i < 3; i++)
        {
            Seed.Record(app, "acct-b", Seed.Jane, "activity_log.domain.added", new ActivityResource("domain", $"b{i}", "secret-b.example"));
        }

        await app.FlushAsync();

        foreach (string query in new[] { "?account_id=acct-b", "?account=acct-b", "?accountId=acct-b&account_id=acct-b" })
        {
            var page = await ApiJson.ReadPageAsync(await app.GetAsync(Page + "/api/events" + query, TestUser.John));
            page.Events.Should().ContainSingle().Which.GetProperty("resource").GetProperty("name").GetString().Should().Be("a.example");

            string html = await (await app.GetAsync(Page + query, TestUser.John)).Content.ReadAsStringAsync();
            html.Should().Contain("a.example", "the page shows the caller's own account").And.NotContain("secret-b.example");
            string csv = await (await app.GetAsync(Page + "/api/export?format=csv&" + query[1..], TestUser.John)).Content.ReadAsStringAsync();
            csv.Should().Contain("a.example", "the export holds the caller's own account").And.NotContain("secret-b.example");
        }

        // A cursor holds a position in time only: Jane's cursor in John's request pages through John's account.
        var janes = await ApiJson.ReadPageAsync(await app.GetAsync(Page + "/api/events?page_size=1", TestUser.Jane));
        janes.NextCursor.Should().NotBeNull();
        var johns = await ApiJson.ReadPageAsync(await app.GetAsync(Page + "/api/events?cursor=" + Uri.EscapeDataString(janes.NextCursor!), TestUser.John));
        johns.Events.Select(e => e.GetProperty("resource").GetProperty("name").GetString()).Should().OnlyContain(n => n == "a.example");
    }

    [Fact]
    public async Task A_named_policy_is_required_on_every_route()
    {
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions
        {
            Authorization = a => a.AddPolicy("AccountAdmin", p => p.RequireAuthenticatedUser().RequireClaim("role", "admin")),
            Endpoints = o => o.AuthorizationPolicy = "AccountAdmin",
        });
        await Seed.SeedExamplesAsync(app, "acct-a");
        var admin = TestUser.John with { Claims = [("role", "admin")] };

        foreach (string route in Routes)
        {
            (await app.GetAsync(route, TestUser.John)).StatusCode.Should().Be(HttpStatusCode.Forbidden, route);
            (await app.GetAsync(route, admin)).StatusCode.Should().Be(HttpStatusCode.OK, route);
        }
    }

    [Fact]
    public async Task Allowing_anonymous_access_on_the_group_fails_the_start()
    {
        var start = () => TestWebApp.StartAsync(new TestWebAppOptions
        {
            SkipMapActivityLog = true,
            Map = web => web.MapActivityLog("/open-log").AllowAnonymous(),
        });

        await start.Should().ThrowAsync<InvalidOperationException>().WithMessage("*must not allow anonymous access*");
    }

    [Fact]
    public void Options_out_of_range_fail_when_mapping()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddActivityLog().AddAspNetCore();
        using var app = builder.Build();
        var map = () => app.MapActivityLog(configure: o =>
        {
            o.PageSize = 0;
            o.Title = " ";
            o.AuthorizationPolicy = "";
        });
        var failures = map.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().Which.Failures.ToList();
        failures.Should().Contain(f => f.Contains("PageSize", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("Title", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("AuthorizationPolicy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_page_sends_a_nonce_based_content_security_policy_and_every_route_forbids_sniffing_and_caching()
    {
        await using var app = await TestWebApp.StartAsync();
        await Seed.SeedExamplesAsync(app, "acct-a");

        using var page = await app.GetAsync(Page, TestUser.John);
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        var document = new PageDocument(await page.Content.ReadAsStringAsync());
        string csp = page.Headers.GetValues("Content-Security-Policy").Single();
        csp.Should().StartWith("default-src 'none';");
        document.Nonce.Should().NotBeNullOrEmpty();
        csp.Should().Contain($"script-src 'nonce-{document.Nonce}'");
        Regex.Matches(document.Html, "<script").Should().HaveCount(1, "the only script is the nonce-protected inline one");

        using var second = await app.GetAsync(Page, TestUser.John);
        new PageDocument(await second.Content.ReadAsStringAsync()).Nonce.Should().NotBe(document.Nonce, "a nonce is never reused");

        foreach (string route in Routes)
        {
            using var response = await app.GetAsync(route, TestUser.John);
            response.StatusCode.Should().Be(HttpStatusCode.OK, route);
            response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
            response.Headers.CacheControl!.NoStore.Should().BeTrue(route);
        }
    }
}

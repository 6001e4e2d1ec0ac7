using ActivityLog.Webhooks.Tests.Subscriptions.Support;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>
/// Every rule of the "Create New Webhook" form, each refusal a <see cref="WebhookSubscriptionException"/> naming its
/// field, with nothing stored, nothing recorded, and never the URL's path, query or credentials in the message.
/// </summary>
public sealed class SubscriptionValidationTests : IAsyncLifetime
{
    private SubscriptionTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string> BadUrls => new()
    {
        { "ftp://127.0.0.1/hooks", "*must use https, not ftp*" },
        { "http://127.0.0.1/hooks", "*must use https, not http*in the clear*AllowHttp*" },
        { "file:///etc/passwd", "*must use https, not file*" },
        { "https://127.0.0.1/hooks#part", "*fragment*" },
        { "https://127.0.0.1/hooks#", "*fragment*" },
        { "https://127.0.0.1/" + new string('a', 2_000), "*2018 characters long; at most 2000*" },
    };

    [Theory]
    [MemberData(nameof(BadUrls))]
    public async Task A_bad_url_is_refused_naming_the_url(string url, string message)
    {
        var refusal = await RefusedAsync(SubscriptionTestHost.Draft(url: url));

        refusal.Field.Should().Be("Url");
        refusal.ParamName.Should().Be("Url");
        refusal.Message.Should().Match(message);
    }

    [Fact]
    public async Task A_missing_or_relative_url_is_refused()
    {
        (await RefusedAsync(new WebhookSubscriptionDraft { Description = "Logging" })).Should().Match<WebhookSubscriptionException>(e => e.Field == "Url" && e.Message.Contains("required"));
        (await RefusedAsync(new WebhookSubscriptionDraft { Description = "Logging", Url = new Uri("/hooks", UriKind.Relative) }))
            .Should().Match<WebhookSubscriptionException>(e => e.Field == "Url" && e.Message.Contains("absolute"));
    }

    [Theory]
    [InlineData("https://admin:hunter2-pw@127.0.0.1/hooks")]
    [InlineData("https://hunter2-pw@127.0.0.1/hooks")]
    [InlineData("https://hunter2-pw:@127.0.0.1/hooks")]
    [InlineData("https://@127.0.0.1/hooks")]
    public async Task Credentials_in_the_url_are_refused_without_repeating_them(string url)
    {
        var refusal = await RefusedAsync(SubscriptionTestHost.Draft(url: url));

        refusal.Field.Should().Be("Url");
        refusal.Message.Should().Contain("No credentials in URLs").And.NotContain("hunter2").And.NotContain("admin");
    }

    [Fact]
    public async Task No_message_repeats_the_urls_path_or_query()
    {
        var refusals = new[]
        {
            await RefusedAsync(SubscriptionTestHost.Draft(url: "http://127.0.0.1/T0PATHSECRET?token=Q1SECRET")),
            await RefusedAsync(SubscriptionTestHost.Draft(url: "https://10.1.2.3/T0PATHSECRET?token=Q1SECRET")),
            await RefusedAsync(SubscriptionTestHost.Draft(url: "https://127.0.0.1/T0PATHSECRET?token=Q1SECRET#frag")),
            await RefusedAsync(SubscriptionTestHost.Draft(url: "https://no-such-host.invalid/T0PATHSECRET?token=Q1SECRET")),
        };

        refusals.Should().OnlyContain(r => r.Field == "Url");
        refusals.Select(r => r.ToString()).Should().OnlyContain(text => !text.Contains("T0PATHSECRET") && !text.Contains("Q1SECRET"));
    }

    [Fact]
    public async Task Http_is_accepted_only_when_the_host_allows_it()
    {
        await using var host = await SubscriptionTestHost.StartAsync(s => s.AllowHttp = true);

        var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: "http://127.0.0.1:9/hooks"));

        created.Subscription.Url.Should().Be(new Uri("http://127.0.0.1:9/hooks"));
        (await RefusedAsync(SubscriptionTestHost.Draft(url: "ftp://127.0.0.1/hooks"), host)).Message.Should().Contain("https or http, not ftp");
    }

    [Fact]
    public async Task An_undefined_format_is_refused_naming_the_format()
    {
        var draft = SubscriptionTestHost.Draft();
        draft.Format = (WebhookPayloadFormat)42;

        var refusal = await RefusedAsync(draft);

        refusal.Field.Should().Be("Format");
        refusal.Message.Should().Contain("42").And.Contain("Json").And.Contain("JsonLines");
    }

    [Theory]
    [InlineData("activity_log.us*", "*Events[1]*activity_log.us*malformed*")]
    [InlineData("activity_log.*.created", "*Events[1]*malformed*")]
    [InlineData("Activity_Log.User.Updated", "*Events[1]*malformed*")]
    [InlineData("activity_log.user", "*Events[1]*malformed*")]
    [InlineData("", "*Events[1]*empty*")]
    [InlineData(null, "*Events[1]*empty*")]
    public async Task An_event_outside_the_one_grammar_is_refused_naming_its_position(string? pattern, string message)
    {
        var draft = SubscriptionTestHost.Draft(events: "activity_log.user.*");
        draft.Events.Add(pattern!);

        var refusal = await RefusedAsync(draft);

        refusal.Field.Should().Be("Events");
        refusal.Message.Should().Match(message);
    }

    [Fact]
    public async Task More_than_100_events_are_refused_and_exactly_100_are_kept_without_duplicates()
    {
        var tooMany = SubscriptionTestHost.Draft(events: [.. Enumerable.Range(0, 101).Select(i => $"activity_log.thing_{i}.created")]);
        var refusal = await RefusedAsync(tooMany);
        refusal.Field.Should().Be("Events");
        refusal.Message.Should().Contain("101").And.Contain("at most 100");

        var hundred = SubscriptionTestHost.Draft(events: [.. Enumerable.Range(0, 100).Select(i => $"activity_log.thing_{i % 50}.created")]);
        var created = await _host.Manager.CreateAsync("acme", hundred);
        created.Subscription.Events.Should().HaveCount(50).And.OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Every_form_of_the_grammar_is_accepted()
    {
        var created = await _host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(events: ["*", "activity_log.*", "activity_log.user.*", "activity_log.user.updated"]));

        created.Subscription.Events.Should().Equal("*", "activity_log.*", "activity_log.user.*", "activity_log.user.updated");
    }

    [Theory]
    [InlineData(null, "*required*1 to 200*")]
    [InlineData("", "*required*")]
    [InlineData("   ", "*required*")]
    [InlineData("Log\nging", "*U+000A*position 3*")]
    [InlineData("Log\u0007", "*U+0007*")]
    [InlineData("Lo\u0085g", "*U+0085*")]
    [InlineData("Logging\u202E.exe", "*U+202E*")]
    [InlineData("Logging\u2066x", "*U+2066*")]
    [InlineData("Logging\u2028x", "*U+2028*")]
    public async Task A_bad_description_is_refused_naming_the_description(string? description, string message)
    {
        var refusal = await RefusedAsync(SubscriptionTestHost.Draft(description: description!));

        refusal.Field.Should().Be("Description");
        refusal.Message.Should().Match(message);
    }

    [Fact]
    public async Task A_description_with_a_lone_surrogate_is_refused()
    {
        // Built here: attribute data cannot carry a lone surrogate (it becomes U+FFFD on the way).
        string description = "Lone " + '\uD800' + " surrogate";

        var refusal = await RefusedAsync(SubscriptionTestHost.Draft(description: description));

        refusal.Field.Should().Be("Description");
        refusal.Message.Should().Contain("surrogate");
    }

    [Fact]
    public async Task A_description_of_200_characters_is_kept_trimmed_and_201_are_refused()
    {
        var refusal = await RefusedAsync(SubscriptionTestHost.Draft(description: new string('x', 201)));
        refusal.Field.Should().Be("Description");
        refusal.Message.Should().Contain("201 characters long; at most 200");

        var created = await _host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(description: "  " + new string('x', 200) + " "));
        created.Subscription.Description.Should().Be(new string('x', 200));
        (await _host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(description: "Logging 👩‍💻"))).Subscription.Description.Should().Be("Logging 👩‍💻", "a ZWJ emoji is text, not a control");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task A_missing_account_is_an_argument_error_on_every_call(string? account)
    {
        var manager = _host.Manager;
        var id = Guid.NewGuid();
        var calls = new Func<Task>[]
        {
            () => manager.CreateAsync(account!, SubscriptionTestHost.Draft()),
            () => manager.ListAsync(account!),
            () => manager.GetAsync(account!, id),
            () => manager.UpdateAsync(account!, id, SubscriptionTestHost.Draft()),
            () => manager.EnableAsync(account!, id, WebhookResumeMode.Now),
            () => manager.DisableAsync(account!, id),
            () => manager.RotateSecretAsync(account!, id),
            () => manager.DeleteAsync(account!, id),
            () => manager.SendTestAsync(account!, id),
            () => manager.ListAttemptsAsync(account!, id),
            () => manager.ListDeadLettersAsync(account!, id),
            () => manager.RedeliverAsync(account!, id, "msg_" + Guid.NewGuid().ToString("N")),
            () => manager.RedeliverAsync(account!, id, "not-a-message-id"),
            () => manager.RecoverAsync(account!, id, DateTimeOffset.MinValue),
        };

        foreach (var call in calls)
        {
            (await call.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("accountId");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1_001)]
    public async Task A_listing_limit_outside_1_to_1000_is_refused(int value)
    {
        var id = (await _host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft())).Subscription.Id;

        await FluentActions.Awaiting(() => _host.Manager.ListAttemptsAsync("acme", id, value)).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await FluentActions.Awaiting(() => _host.Manager.ListDeadLettersAsync("acme", id, value)).Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task An_undefined_resume_mode_is_refused()
    {
        var id = (await _host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft())).Subscription.Id;

        (await FluentActions.Awaiting(() => _host.Manager.EnableAsync("acme", id, (WebhookResumeMode)9)).Should().ThrowAsync<ArgumentOutOfRangeException>())
            .Which.ParamName.Should().Be("resumeFrom");
    }

    private async Task<WebhookSubscriptionException> RefusedAsync(WebhookSubscriptionDraft draft, SubscriptionTestHost? host = null)
    {
        host ??= _host;
        int before = (await host.Manager.ListAsync("acme")).Count;
        var refusal = (await FluentActions.Awaiting(() => host.Manager.CreateAsync("acme", draft)).Should().ThrowAsync<WebhookSubscriptionException>()).Which;
        (await host.Manager.ListAsync("acme")).Should().HaveCount(before, "a refused draft stores nothing");
        return refusal;
    }
}

using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>Binding from configuration and validation at start, with messages that name the key and never the secret.</summary>
public sealed class OptionsTests
{
    private static async Task<string> StartFailure(Action<ActivityWebhookOptions> configure)
    {
        using var host = WebhookTestHost.Build(configure, new FakeTimeProvider());
        var act = () => host.StartAsync();
        var failure = (await act.Should().ThrowAsync<OptionsValidationException>()).Which;
        return failure.Message;
    }

    [Fact]
    public async Task Every_bad_setting_is_reported_at_start_by_its_key()
    {
        string message = await StartFailure(o =>
        {
            o.RequestTimeout = TimeSpan.Zero;
            o.AllowedNetworks.Add("10.0.0.0/99");
            o.Endpoints["relative"] = new WebhookEndpointOptions { Url = new Uri("/hooks", UriKind.Relative), Secret = WebhookTestHost.Secret };
            o.Endpoints["ftp"] = new WebhookEndpointOptions { Url = new Uri("ftp://example.com/"), Secret = WebhookTestHost.Secret };
            o.Endpoints["nosecret"] = new WebhookEndpointOptions { Url = new Uri("https://example.com/") };
            o.Endpoints["pattern"] = new WebhookEndpointOptions { Url = new Uri("https://example.com/"), Secret = WebhookTestHost.Secret, Events = { "activity_log.*.created" } };
            o.Endpoints["batch"] = new WebhookEndpointOptions { Url = new Uri("https://example.com/"), Secret = WebhookTestHost.Secret, MaxBatchEvents = 0 };
        });

        message.Should().Contain("ActivityLog:Webhooks:RequestTimeout must be between 00:00:01 and 00:05:00")
            .And.Contain("ActivityLog:Webhooks:AllowedNetworks: '10.0.0.0/99'")
            .And.Contain("ActivityLog:Webhooks:Endpoints:relative:Url must be an absolute http or https URL.")
            .And.Contain("ActivityLog:Webhooks:Endpoints:ftp:Url must be an absolute http or https URL.")
            .And.Contain("ActivityLog:Webhooks:Endpoints:nosecret:Secret is required.")
            .And.Contain("ActivityLog:Webhooks:Endpoints:pattern:Events: the event pattern 'activity_log.*.created' is malformed")
            .And.Contain("ActivityLog:Webhooks:Endpoints:batch:MaxBatchEvents is 0");
    }

    [Fact]
    public async Task A_malformed_secret_is_reported_without_being_quoted()
    {
        const string secret = "whsec_this-is-not-base64!";
        string message = await StartFailure(o => o.Endpoints["main"] = new WebhookEndpointOptions { Url = new Uri("https://example.com/"), Secret = secret });
        message.Should().Contain("ActivityLog:Webhooks:Endpoints:main:Secret is malformed").And.NotContain("this-is-not-base64");
    }

    [Theory]
    [InlineData("http://10.1.2.3/hooks", "private")]
    [InlineData("http://169.254.169.254/latest", "private, link-local")]
    [InlineData("http://[fe80::1]/hooks", "private, link-local")]
    [InlineData("http://192.168.1.10/hooks", "private")]
    public async Task Private_and_link_local_targets_are_refused_unless_allowed(string url, string expected)
    {
        string message = await StartFailure(o => o.Endpoints["main"] = new WebhookEndpointOptions { Url = new Uri(url), Secret = WebhookTestHost.Secret });
        message.Should().Contain("ActivityLog:Webhooks:Endpoints:main:Url is refused").And.Contain(expected);

        using var allowed = WebhookTestHost.Build(o =>
        {
            o.AllowedNetworks.Add(url.Contains("fe80", StringComparison.Ordinal) ? "fe80::/10" : "0.0.0.0/0");
            o.Endpoints["main"] = new WebhookEndpointOptions { Url = new Uri(url), Secret = WebhookTestHost.Secret };
        }, new FakeTimeProvider());
        allowed.Services.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value.Endpoints.Should().ContainKey("main", "an allowed network passes validation");
    }

    [Fact]
    public async Task Loopback_is_refused_unless_allowed()
    {
        var host = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        host.Services.AddActivityLog().AddWebhooks(o => o.Endpoints["main"] = new WebhookEndpointOptions { Url = new Uri("http://localhost:5000/"), Secret = WebhookTestHost.Secret });
        using var built = host.Build();
        var act = () => built.StartAsync();
        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("loopback");

        var allowing = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        allowing.Services.AddActivityLog().AddWebhooks(o =>
        {
            o.AllowLoopback = true;
            o.Endpoints["main"] = new WebhookEndpointOptions { Url = new Uri("http://localhost:5000/"), Secret = WebhookTestHost.Secret };
        });
        using var allowed = allowing.Build();
        allowed.Services.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value.Endpoints.Should().ContainKey("main", "AllowLoopback passes validation");
    }

    [Fact]
    public async Task Endpoints_bind_from_configuration_and_the_code_callback_runs_after()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(
            o => o.Endpoints["fromConfig"].MaxBatchDelay = TimeSpan.Zero,
            configuration: new Dictionary<string, string?>
            {
                ["ActivityLog:Webhooks:RequestTimeout"] = "00:00:07",
                ["ActivityLog:Webhooks:RetryDelays:0"] = "00:00:00",
                ["ActivityLog:Webhooks:RetryDelays:1"] = "00:00:02",
                ["ActivityLog:Webhooks:Endpoints:fromConfig:Url"] = receiver.Url.ToString(),
                ["ActivityLog:Webhooks:Endpoints:fromConfig:Secret"] = "config-secret",
                ["ActivityLog:Webhooks:Endpoints:fromConfig:Signing"] = "Mailtrap",
                ["ActivityLog:Webhooks:Endpoints:fromConfig:Format"] = "JsonLines",
                ["ActivityLog:Webhooks:Endpoints:fromConfig:Events:0"] = "activity_log.user.*",
                ["ActivityLog:Webhooks:Endpoints:fromConfig:MaxBatchEvents"] = "7",
            });

        var options = host.Services.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value;
        options.RequestTimeout.Should().Be(TimeSpan.FromSeconds(7));
        options.RetryDelays.Should().Equal(TimeSpan.Zero, TimeSpan.FromSeconds(2));
        var endpoint = options.Endpoints["fromConfig"];
        endpoint.Signing.Should().Be(WebhookSigningScheme.Mailtrap);
        endpoint.Format.Should().Be(WebhookPayloadFormat.JsonLines);
        endpoint.Events.Should().Equal("activity_log.user.*");
        endpoint.MaxBatchEvents.Should().Be(7);
        endpoint.MaxBatchDelay.Should().Be(TimeSpan.Zero, "the code callback ran after the binding and its value stands");

        host.RecordUser(1);
        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "d"));
        await host.FlushAsync();
        var request = await receiver.NextAsync();
        new WebhookSignatureVerifier(["config-secret"], WebhookSigningScheme.Mailtrap).Verify(request.Body, request.HeaderPairs).Should().BeTrue();
        request.Text.Should().Contain("activity_log.user.updated").And.NotContain("activity_log.domain.added");
    }
}

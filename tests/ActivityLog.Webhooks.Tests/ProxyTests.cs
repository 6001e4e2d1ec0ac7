using System.Diagnostics;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// Deliveries ignore ambient proxies (issue 11, item 5): a proxy in <c>HTTP_PROXY</c> would make the connect-time address
/// check see only the proxy. The environment variables are read once per process, so the ambient case runs in a real
/// child process (this assembly, see <see cref="Durability.DurabilityChild"/>) started with them set.
/// </summary>
public sealed class ProxyTests
{
    internal const string AmbientProxyChildMode = "ambient-proxy";

    [Fact]
    public async Task A_proxy_in_HTTP_PROXY_and_the_other_proxy_variables_is_not_used()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var proxy = await WebhookReceiver.StartAsync(); // a real Kestrel server: a proxied request would land here
        var first = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.OnArrival = _ => first.TrySetResult("receiver");
        proxy.OnArrival = _ => first.TrySetResult("proxy");
        string proxyUrl = $"http://127.0.0.1:{proxy.Port}";

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(ProxyTests).Assembly.Location);
        start.ArgumentList.Add(AmbientProxyChildMode);
        start.ArgumentList.Add(receiver.Url.ToString());
        foreach (string name in (string[])["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
        {
            start.Environment[name] = proxyUrl;
        }

        start.Environment.Remove("NO_PROXY");
        start.Environment.Remove("no_proxy");
        var errors = new System.Text.StringBuilder();
        using var child = Process.Start(start)!;
        child.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
        child.BeginErrorReadLine();
        child.OutputDataReceived += (_, _) => { };
        child.BeginOutputReadLine();
        try
        {
            var arrived = await Task.WhenAny(first.Task, child.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(60));
            arrived.Should().Be(first.Task, $"the child delivers before it exits ({errors})");
            (await first.Task).Should().Be("receiver", "the delivery connects to the target itself, not through the ambient proxy");
            var request = await receiver.NextAsync();
            request.Path.Should().Be("/hooks/activity");
            proxy.Requests.Should().BeEmpty();
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }

            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task A_proxy_configured_through_the_option_is_used()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var proxy = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.Proxy = new Uri($"http://127.0.0.1:{proxy.Port}");
            o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url);
        });
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");

        host.RecordUser(1);
        await host.FlushAsync();
        var proxied = await proxy.NextAsync();
        await WebhookTestHost.WaitAsync(deliveries, 1);

        proxied.Headers.Should().ContainKey("webhook-signature");
        proxied.Path.Should().Be("/hooks/activity", "the proxy received the request for the target");
        receiver.Requests.Should().BeEmpty("the proxy answered; it did not forward");
    }

    [Fact]
    public async Task A_configured_proxy_does_not_relax_the_check_of_the_target_host()
    {
        using var host = WebhookTestHost.Build(o =>
        {
            o.AllowLoopback = false;
            o.Proxy = new Uri("http://127.0.0.1:3128");
            o.Endpoints["main"] = WebhookTestHost.Endpoint(new Uri("http://[::ffff:10.0.0.1]/hooks"));
        }, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow));

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>())
            .Which.Message.Should().Contain("Endpoints:main:Url is refused").And.Contain("private");
    }

    /// <summary>The child: a host without a store that delivers one event to <paramref name="target"/>, then waits to be killed.</summary>
    internal static async Task<int> RunAmbientProxyChildAsync(Uri target)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddActivityLog(o => o.BatchDelay = TimeSpan.Zero)
            .AddWebhooks(o =>
            {
                o.AllowLoopback = true;
                o.Endpoints["main"] = new WebhookEndpointOptions { Url = target, Secret = WebhookTestHost.Secret, MaxBatchDelay = TimeSpan.Zero };
            });
        using var host = builder.Build();
        await host.StartAsync();
        host.Services.GetRequiredService<IActivityRecorder>().Record("activity_log.user.updated", resource: new ActivityResource("user", 1, "U"));
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}

using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>How a container that never became a host ends: tools, tests and console apps dispose it synchronously.</summary>
public sealed class SubscriptionContainerTests
{
    [Fact]
    public async Task A_container_with_webhooks_and_a_subscription_disposes_synchronously()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddActivityLog().AddWebhooks(w =>
        {
            w.Subscriptions.AllowHttp = true;
            w.Subscriptions.AllowLoopback = true;
        });
        var provider = services.BuildServiceProvider();
        using (ActivityScope.Begin(ActivityActor.User(42, "John Doe"), accountId: "acme"))
        {
            var created = await provider.GetRequiredService<IActivityWebhookSubscriptions>()
                .CreateAsync("acme", new WebhookSubscriptionDraft { Url = new Uri("http://127.0.0.1:9/hooks"), Description = "Logging" });
            created.Secret.Should().StartWith("whsec_");
        }

        // Before the delivery service was disposable synchronously too, this threw "only implements IAsyncDisposable".
        provider.Invoking(p => p.Dispose()).Should().NotThrow();
    }

    [Fact]
    public async Task A_stop_that_runs_after_the_container_was_disposed_completes()
    {
        // What a minimal-hosting app under WebApplicationFactory can do: its own Run disposes the container while the
        // factory's StopAsync still walks the hosted services.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddActivityLog().AddWebhooks(w =>
        {
            w.Subscriptions.AllowHttp = true;
            w.Subscriptions.AllowLoopback = true;
        });
        var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        await provider.DisposeAsync();

        foreach (var service in Enumerable.Reverse(hosted))
        {
            await service.Invoking(s => s.StopAsync(CancellationToken.None)).Should().NotThrowAsync();
        }
    }
}

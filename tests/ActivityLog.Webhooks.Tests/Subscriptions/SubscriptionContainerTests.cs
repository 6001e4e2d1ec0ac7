using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

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
}

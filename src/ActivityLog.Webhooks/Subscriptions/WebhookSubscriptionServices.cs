using ActivityLog.Delivery;
using ActivityLog.Webhooks.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ActivityLog.Webhooks.Subscriptions;

/// <summary>
/// The services of Settings → Webhooks, registered by <c>AddWebhooks()</c>: the manager behind
/// <see cref="IActivityWebhookSubscriptions"/>, the store selector the engine shares, the secret protector (ASP.NET Core
/// Data Protection, as the host configures it), and the description templates of the management activities.
/// Safe to call more than once.
/// </summary>
internal static class WebhookSubscriptionServices
{
    public static void Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        bool first = !services.Any(d => d.ServiceType == typeof(WebhookSubscriptionManager));

        // Keys as the host configures them (AddDataProtection().PersistKeysTo…, SetApplicationName): every instance
        // that shares the database must share the key ring too, or it cannot sign with the secrets it reads.
        services.AddDataProtection();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WebhookSecretProtector>();
        services.TryAddSingleton<WebhookSubscriptionStoreSelector>();
        services.TryAddSingleton(sp => new WebhookSubscriptionManager(
            sp.GetRequiredService<WebhookSubscriptionStoreSelector>().Store,
            // The one outbox of the process (a store's, else the in-memory one the engine delivers from).
            sp.GetRequiredService<ActivityOutboxSelector>().Outbox,
            sp.GetRequiredService<IWebhookDeliveryControl>(),
            sp.GetRequiredService<WebhookSecretProtector>(),
            sp.GetRequiredService<IActivityRecorder>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ActivityWebhookOptions>>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<WebhookSubscriptionManager>() ?? NullLogger<WebhookSubscriptionManager>.Instance));
        services.TryAddSingleton<IActivityWebhookSubscriptions>(sp => sp.GetRequiredService<WebhookSubscriptionManager>());

        if (first)
        {
            // After every Configure: a host's own template for these events wins, whenever it was added.
            services.PostConfigure<ActivityLogOptions>(options => WebhookActivities.AddTemplates(options.Descriptions));
        }
    }
}

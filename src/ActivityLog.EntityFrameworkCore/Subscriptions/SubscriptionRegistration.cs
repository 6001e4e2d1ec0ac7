using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Subscriptions;

/// <summary>Registers the store's <see cref="IActivitySubscriptionStore"/>.</summary>
internal static class SubscriptionRegistration
{
    public static void Add<TContext>(ActivityLogBuilder builder)
        where TContext : DbContext
    {
        var services = builder.Services;
        // Added, not tried: a delivery package uses the last store registered over its in-memory default, whatever the
        // order of AddWebhooks and AddEntityFrameworkStore. Only the first EF Core store registers one, as it holds the outbox.
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(IActivitySubscriptionStore) && descriptor.ImplementationType is { IsGenericType: true } type &&
                type.GetGenericTypeDefinition() == typeof(EntityFrameworkActivitySubscriptionStore<>))
            {
                return;
            }
        }

        services.AddSingleton<IActivitySubscriptionStore, EntityFrameworkActivitySubscriptionStore<TContext>>();
    }
}

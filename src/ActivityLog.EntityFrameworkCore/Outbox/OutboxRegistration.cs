using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>Registers the outbox: the <see cref="IActivityOutbox"/> a delivery package claims from, and the write side the store's paths share.</summary>
internal static class OutboxRegistration
{
    public static void Add<TContext>(ActivityLogBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        // AddActivityLog() registered the TimeProvider and the ActivityOutboxSignal both sides share.
        services.TryAddSingleton<OutboxWriter>();
        // TryAdd: the first store registered holds the outbox, as it serves the reader.
        services.TryAddSingleton<IActivityOutbox, EntityFrameworkActivityOutbox<TContext>>();

        // The outbox tables enter the host's model only when deliveries are configured: a delivery package's marker, or
        // subscribers registered by hand. The container is fixed when options are built, so this is the host's final
        // say, at run time and when dotnet ef builds the host from Program.cs alike.
        services.ConfigureDbContext<TContext>(
            static (provider, options) =>
            {
                if (DeliveriesConfigured(provider))
                {
                    ((IDbContextOptionsBuilderInfrastructure)options).AddOrUpdateExtension(new OutboxModelExtension());
                }
            },
            ServiceLifetime.Singleton);
    }

    /// <summary>
    /// Whether a delivery package is added, or an <see cref="IActivityOutboxSubscriber"/> or <see cref="IActivityOutboxRouter"/>
    /// registered. Routers are looked up, not built: one may depend on services (a subscription store) that need this context.
    /// </summary>
    internal static bool DeliveriesConfigured(IServiceProvider provider) =>
        provider.GetService<ActivityDeliveryMarker>() is not null ||
        provider.GetService<IServiceProviderIsService>()?.IsService(typeof(IActivityOutboxRouter)) == true ||
        provider.GetRequiredService<OutboxWriter>().HasSubscribers;
}

using ActivityLog.EntityFrameworkCore.Retention;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>Registers the reader, the retention method and the retention job.</summary>
internal static class ReaderRegistration
{
    public static void Add<TContext>(ActivityLogBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // Singletons that open a DI scope per unit of work, so they serve singletons and request scopes alike.
        // TryAdd: the first store registered reads and purges; a second AddEntityFrameworkStore call changes nothing here.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IActivityLogReader, EntityFrameworkActivityLogReader<TContext>>();
        services.TryAddSingleton<Search.ActivityLogSearchIndex>();
        services.TryAddSingleton<IActivityLogRetention, EntityFrameworkActivityLogRetention<TContext>>();
        // The retention settings are validated with the other store options (StoreRegistration).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ActivityLogRetentionService>());
    }
}

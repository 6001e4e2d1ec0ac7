using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Storage;

/// <summary>Registers the queued-path sink and the validation of <see cref="ActivityLogStoreOptions"/>.</summary>
internal static class StoreRegistration
{
    public static void Add<TContext>(ActivityLogBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // Bad store options fail the host's start, not the first read or retention run.
        services.AddOptions<ActivityLogStoreOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityLogStoreOptions>>(
            new ConfigurationPathValidator<ActivityLogStoreOptions>(new ActivityLogStoreOptionsValidator(), ActivityLogStoreOptions.SectionName)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityLogStoreOptions>, ActivityLogStoreRulesValidator>());

        builder.AddSink<EntityFrameworkActivitySink<TContext>>();
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>Registers the SaveChanges interceptor (transactional recording and change capture).</summary>
internal static class ChangeCaptureRegistration
{
    public static void Add<TContext>(ActivityLogBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ActivityChangeCaptureOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityChangeCaptureOptions>, ActivityChangeCaptureOptionsValidator>());
        services.TryAddSingleton<ActivityLogSaveChangesInterceptor>();

        // ConfigureDbContext composes with whichever of AddDbContext, AddDbContextFactory, AddDbContextPool or
        // AddPooledDbContextFactory the host uses, before or after this call. Registered as a singleton so that pooled
        // contexts, whose options are built once from the root provider, can resolve it; the interceptor is a singleton
        // that keeps per-context state in a weak table, so one instance serves every context and every pool lease.
        services.ConfigureDbContext<TContext>(
            static (provider, options) => ActivityLogDbContextExtensions.AddInterceptorOnce(options, provider.GetRequiredService<ActivityLogSaveChangesInterceptor>()),
            ServiceLifetime.Singleton);
    }
}

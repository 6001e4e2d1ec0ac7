using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActivityLog.EntityFrameworkCore.Quarantine;

/// <summary>Registers the quarantine table as the <see cref="IActivityQuarantine"/>, in place of the core's in-memory default.</summary>
internal static class QuarantineRegistration
{
    public static void Add<TContext>(ActivityLogBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        // Replace only the core's own default (the one implementation the core assembly holds): a quarantine the host
        // registered stays, and, as with the outbox, the first store registered holds it.
        var current = services.LastOrDefault(d => d.ServiceType == typeof(IActivityQuarantine));
        if (current is null || current.ImplementationType?.Assembly == typeof(IActivityQuarantine).Assembly)
        {
            services.Replace(ServiceDescriptor.Singleton<IActivityQuarantine, EntityFrameworkActivityQuarantine<TContext>>());
        }
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.EntityFrameworkCore.Schema;

/// <summary>Registers schema creation at start (<see cref="ActivityLogStoreOptions.CreateSchemaOnStart"/>).</summary>
/// <remarks>
/// Always registers <see cref="ActivityLogSchemaInitializer{TContext}"/>, so the store sink can await
/// <see cref="ActivityLogSchemaInitializer{TContext}.WhenReadyAsync"/> whatever the option says (it returns at once
/// when the option is off), and a hosted service that creates the schema in <c>StartingAsync</c>, before any hosted
/// service's <c>StartAsync</c> (so before the dispatcher's first batch).
/// </remarks>
internal static class SchemaRegistration
{
    public static void Add<TContext>(ActivityLogBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<ActivityLogSchemaInitializer<TContext>>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ActivityLogSchemaHostedService<TContext>>());
    }
}

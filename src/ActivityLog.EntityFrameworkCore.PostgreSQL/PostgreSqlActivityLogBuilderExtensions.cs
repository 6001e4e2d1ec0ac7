using ActivityLog.EntityFrameworkCore.PostgreSQL.Implementation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL;

/// <summary>Plugs PostgreSQL's binary <c>COPY</c> into the EF Core store.</summary>
public static class PostgreSqlActivityLogBuilderExtensions
{
    /// <summary>
    /// Writes the store's queued batches with Npgsql's binary <c>COPY</c> instead of EF Core's <c>SaveChanges</c>,
    /// whenever the store's context uses Npgsql: through the context's own connection, into a temporary table, then
    /// <c>INSERT … ON CONFLICT DO NOTHING</c> into the activity log table, in one transaction, so a retried batch never
    /// stores an event twice. Contexts on other providers keep the generic path. Safe to call more than once.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddDbContext&lt;AppDbContext&gt;(o => o.UseNpgsql(connectionString));
    /// services.AddActivityLog()
    ///     .AddEntityFrameworkStore&lt;AppDbContext&gt;()
    ///     .UsePostgreSqlBinaryCopy();
    /// </code>
    /// </example>
    /// <param name="builder">The ActivityLog builder.</param>
    /// <returns>The builder.</returns>
    public static ActivityLogBuilder UsePostgreSqlBinaryCopy(this ActivityLogBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityBulkWriter, NpgsqlBinaryCopyWriter>());
        return builder;
    }
}

using ActivityLog.EntityFrameworkCore;
using ActivityLog;
using ActivityLog.EntityFrameworkCore.PostgreSQL;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.PostgreSQL.Implementation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs PostgreSQL's fast paths into the EF Core store: binary <c>COPY</c> for writes, one-statement outbox claims for deliveries.</summary>
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

    /// <summary>
    /// Claims and completes the store's outbox batches (what a delivery package such as <c>ActivityLog.Webhooks</c> reads)
    /// with PostgreSQL-specific SQL whenever the store's context uses Npgsql: a claim is one statement that leases the
    /// oldest due batch, or locks the oldest unbatched entries, and returns the events (<c>FOR UPDATE SKIP LOCKED</c>, so
    /// instances share the outbox without waiting on each other), one that forms the batches, and a commit; while a
    /// backlog exists one claim forms up to 16 batches. A completion is one <c>DELETE</c>. EF Core's portable path takes
    /// about ten round trips per batch to claim and four to complete. Every guarantee of the outbox holds (at-least-once
    /// delivery, a batch id stable across retries, leases, dead letters), and instances with and without it can share one
    /// outbox. Contexts on other providers keep the generic path. Safe to call more than once.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddActivityLog()
    ///     .AddEntityFrameworkStore&lt;AppDbContext&gt;()
    ///     .UsePostgreSqlBinaryCopy()
    ///     .UsePostgreSqlOutbox()
    ///     .AddWebhooks(configuration.GetSection("ActivityLog:Webhooks"));
    /// </code>
    /// </example>
    /// <param name="builder">The ActivityLog builder.</param>
    /// <returns>The builder.</returns>
    public static ActivityLogBuilder UsePostgreSqlOutbox(this ActivityLogBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityOutboxStrategy, NpgsqlOutboxStrategy>());
        return builder;
    }
}

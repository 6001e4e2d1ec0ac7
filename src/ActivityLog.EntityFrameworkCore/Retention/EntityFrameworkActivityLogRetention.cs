using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Reading;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Retention;

/// <summary><see cref="IActivityLogRetention"/> over the host's <typeparamref name="TContext"/>.</summary>
/// <typeparam name="TContext">The host's context, whose model holds the activity log table.</typeparam>
internal sealed class EntityFrameworkActivityLogRetention<TContext>(
    IServiceScopeFactory scopes, IOptions<ActivityLogStoreOptions> options, TimeProvider timeProvider) : IActivityLogRetention
    where TContext : DbContext
{
    public Task<long> DeleteOlderThanAsync(TimeSpan age, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(age, TimeSpan.Zero);
        return DeleteOlderThanAsync(timeProvider.GetUtcNow() - age, cancellationToken);
    }

    public async Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        int batchSize = options.Value.RetentionBatchSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var cutoffUtc = cutoff.UtcDateTime;
        long total = 0;
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var events = lease.Context.Set<StoredActivityLogEvent>();
            // Events still waiting in the outbox (undelivered, or dead-lettered and redeliverable) are kept until their
            // deliveries are gone: one probe per candidate on the deliveries' (event_id, destination) unique index.
            var outbox = OutboxWriter.IsMapped(lease.Context.Model) ? lease.Context.Set<OutboxDeliveryRow>() : null;
            var old = outbox is not null
                ? events.Where(e => e.OccurredAt < cutoffUtc && !outbox.Any(o => o.EventId == e.Id))
                : events.Where(e => e.OccurredAt < cutoffUtc);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // DELETE … WHERE id IN (SELECT id … WHERE occurred_at < @cutoff LIMIT @n): both SQLite and PostgreSQL
                // accept a LIMIT there (a plain DELETE … LIMIT is not portable). No ORDER BY: every batch only holds
                // rows past the cutoff, the loop runs until none is left, and on PostgreSQL the occurred_at index is
                // BRIN, which finds old block ranges fast but cannot supply an order (a sort would grow with the backlog).
                var oldest = old.Select(e => e.Id).Take(batchSize);
                int deleted = await events.Where(e => oldest.Contains(e.Id)).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                total += deleted;
                if (deleted < batchSize)
                {
                    return total;
                }
            }
        }
    }
}

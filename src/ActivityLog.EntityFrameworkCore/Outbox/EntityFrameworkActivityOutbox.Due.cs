using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Reading;
using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>The outbox's calls for one delivery engine over every destination: what is due, recovery and discarding.</summary>
internal sealed partial class EntityFrameworkActivityOutbox<TContext>
{
    public async Task<ActivityOutboxDueList> ListDueAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        var utcNow = Now();
        DateTime now = OutboxTime.Truncate(utcNow);

        // Batches this process formed ahead are leased to it but wait for their next claim: due work, not in flight.
        var ahead = new List<Guid>();
        foreach (var (_, claims) in _claims)
        {
            claims.AddAheadIds(ahead);
        }

        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var context = Mapped(lease.Context);
            var batches = context.Set<OutboxBatchRow>().AsNoTracking();
            var deliveries = context.Set<OutboxDeliveryRow>().AsNoTracking();
            // In flight somewhere (here or in another process): one batch in flight per destination keeps its order.
            var inFlight = batches
                .Where(r => r.Status == OutboxBatchRow.Pending && r.LeaseExpiresAt > now && !ahead.Contains(r.Id))
                .Select(r => r.Destination);

            // The two kinds of due work, each ordered by when it fell due and cut at the limit: the first `limit` of
            // their union are among the first `limit` of each.
            var dueBatches = await batches
                .Where(r => r.Status == OutboxBatchRow.Pending && r.NextAttemptAt <= now
                    && (r.LeaseExpiresAt == null || r.LeaseExpiresAt <= now || ahead.Contains(r.Id))
                    && !inFlight.Contains(r.Destination))
                .GroupBy(r => r.Destination)
                .Select(g => new { Destination = g.Key, Due = g.Min(r => r.NextAttemptAt) })
                .OrderBy(d => d.Due).ThenBy(d => d.Destination)
                .Take(limit)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            // The portable query reads every unbatched delivery (its cost grows with the backlog); a provider strategy
            // may visit each destination once instead (PostgreSQL: a loose index scan).
            IReadOnlyList<(string Destination, DateTime Due)> unbatched = Strategy(context) is { } fast
                ? await fast.ListUnbatchedDueAsync(context, now, ahead, limit, cancellationToken).ConfigureAwait(false)
                : [.. (await deliveries
                    .Where(e => e.BatchId == null && !inFlight.Contains(e.Destination))
                    .GroupBy(e => e.Destination)
                    .Select(g => new { Destination = g.Key, Due = g.Min(e => e.CreatedAt) })
                    .OrderBy(d => d.Due).ThenBy(d => d.Destination)
                    .Take(limit)
                    .ToListAsync(cancellationToken).ConfigureAwait(false)).Select(d => (d.Destination, d.Due))];

            // When what is not due yet falls due: a retry time, or a lease (held elsewhere, or by a worker here) running out.
            DateTime? next = await batches
                .Where(r => r.Status == OutboxBatchRow.Pending
                    && ((r.NextAttemptAt > now && (r.LeaseExpiresAt == null || r.LeaseExpiresAt <= now))
                        || (r.LeaseExpiresAt > now && !ahead.Contains(r.Id))))
                .Select(r => r.LeaseExpiresAt > now ? r.LeaseExpiresAt : (DateTime?)r.NextAttemptAt)
                .MinAsync(cancellationToken).ConfigureAwait(false);

            var due = new Dictionary<string, DateTime>(dueBatches.Count + unbatched.Count, StringComparer.Ordinal);
            foreach (var d in dueBatches.Select(b => (b.Destination, b.Due)).Concat(unbatched))
            {
                if (!due.TryGetValue(d.Destination, out var at) || d.Due < at)
                {
                    due[d.Destination] = d.Due;
                }
            }

            if (due.Count == 0)
            {
                return next is null ? ActivityOutboxDueList.Empty : new ActivityOutboxDueList([], OutboxTime.Read(next.Value));
            }

            List<string> destinations = [.. due
                .OrderBy(d => d.Value).ThenBy(d => d.Key, StringComparer.Ordinal)
                .Take(limit)
                .Select(d => d.Key)];
            return new ActivityOutboxDueList(destinations, next is { } n ? OutboxTime.Read(n) : null);
        }
    }

    public async Task<int> RecoverAsync(string destination, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        DateTime from = OutboxTime.Truncate(since);
        DateTime now = OutboxTime.Truncate(Now());
        int recovered = await UpdateAsync(
            set => set.Where(r => r.Destination == destination && r.Status == OutboxBatchRow.Dead && r.DeadLetteredAt >= from)
                .ExecuteUpdateAsync(
                    s => s.SetProperty(r => r.Attempt, 0)
                        .SetProperty(r => r.Status, OutboxBatchRow.Pending)
                        .SetProperty(r => r.NextAttemptAt, now)
                        .SetProperty(r => r.LeaseExpiresAt, (DateTime?)null)
                        .SetProperty(r => r.DeadLetteredAt, (DateTime?)null),
                    cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (recovered > 0)
        {
            signal.Notify(); // due now: wake this process's engine rather than leave the batches to its next poll
        }

        return recovered;
    }

    public async Task<long> DiscardPendingAsync(string destination, bool includeDeadLetters = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        long discarded = await ExecuteAsync(
            (destination, includeDeadLetters),
            static async (ctx, d, ct) =>
            {
                ctx.ChangeTracker.Clear();
                var transaction = await ctx.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var (destination, withDead) = d;
                    var batches = ctx.Set<OutboxBatchRow>();
                    var deliveries = ctx.Set<OutboxDeliveryRow>().Where(e => e.Destination == destination);
                    long count;
                    if (withDead)
                    {
                        count = await deliveries.ExecuteDeleteAsync(ct).ConfigureAwait(false);
                        await batches.Where(r => r.Destination == destination).ExecuteDeleteAsync(ct).ConfigureAwait(false);
                    }
                    else
                    {
                        // Dead letters stay (an admin may still redeliver them); everything else waiting for the destination goes.
                        var dead = batches.Where(r => r.Destination == destination && r.Status == OutboxBatchRow.Dead).Select(r => (Guid?)r.Id);
                        count = await deliveries.Where(e => e.BatchId == null || !dead.Contains(e.BatchId)).ExecuteDeleteAsync(ct).ConfigureAwait(false);
                        await batches.Where(r => r.Destination == destination && r.Status == OutboxBatchRow.Pending).ExecuteDeleteAsync(ct).ConfigureAwait(false);
                    }

                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    return count;
                }
            },
            cancellationToken).ConfigureAwait(false);

        // Batches formed ahead for it are gone from the database: none may be handed out now.
        if (_claims.TryGetValue(destination, out var claims))
        {
            claims.Clear();
        }

        return discarded;
    }
}

using System.Collections.Concurrent;
using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Reading;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>
/// <see cref="IActivityOutbox"/> over the outbox tables of the host's <typeparamref name="TContext"/>: each call opens
/// a context of its own (as the reader does) and runs in one transaction.
/// </summary>
/// <remarks>
/// <para>
/// Claims are safe across processes. On PostgreSQL the rows a claim reads are locked with
/// <c>FOR UPDATE SKIP LOCKED</c>, so concurrent claimers pass over each other's batches and deliveries instead of waiting.
/// On SQLite the claim's transaction is a write transaction from its first statement (<c>BEGIN IMMEDIATE</c>), so
/// claims run one at a time. On any other provider every state change is a conditional <c>UPDATE</c> (compare and
/// set) whose row count tells whether this claim won; a claim that lost a race tries again.
/// </para>
/// <para>
/// The lease's expiry doubles as a fencing token: <see cref="RetryLaterAsync"/> and <see cref="DeadLetterAsync"/> only
/// change a batch still leased under the claim they were given, so a worker whose lease ran out (and whose batch
/// another worker claimed since) cannot release the newer claim. <see cref="CompleteAsync"/> always removes the batch:
/// delivered is delivered.
/// </para>
/// <para>
/// A provider package may register an <see cref="IActivityOutboxStrategy"/> that claims and completes in fewer round
/// trips (PostgreSQL: one statement claims, forms and loads a batch; one deletes it); the other calls stay on this
/// portable path, which that strategy's rows are compatible with.
/// </para>
/// </remarks>
/// <typeparam name="TContext">The host's context; its model maps the outbox (<c>modelBuilder.AddActivityLog()</c>).</typeparam>
internal sealed partial class EntityFrameworkActivityOutbox<TContext>(
    IServiceScopeFactory scopes,
    ActivityOutboxSignal signal,
    TimeProvider timeProvider,
    ILogger<EntityFrameworkActivityOutbox<TContext>> logger,
    IEnumerable<IActivityOutboxStrategy> strategies) : IActivityOutbox
    where TContext : DbContext
{
    private readonly IActivityOutboxStrategy[] _strategies = [.. strategies];

    /// <summary>How often a claim that lost a compare-and-set race (providers without row locks) starts over.</summary>
    private const int MaxClaimRounds = 8;

    /// <summary>The most batches a provider strategy forms in one claim while a backlog exists (doubling from 1).</summary>
    internal const int MaxBatchesPerClaim = EntityFrameworkOutboxLimits.MaxBatchesPerClaim;

    // Per destination: the batches this process leased (handed out or formed ahead by a strategy, which the next claims
    // hand out while their leases are young). A claim is refused while another process holds a live lease.
    private readonly ConcurrentDictionary<string, DestinationClaims> _claims = new(StringComparer.Ordinal);

    private const string NpgsqlProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    public async Task<ActivityOutboxBatch?> ClaimAsync(string destination, ActivityOutboxClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentOutOfRangeException.ThrowIfLessThan(claim.MaxEvents, 1, nameof(claim));
        ArgumentOutOfRangeException.ThrowIfLessThan(claim.MaxBytes, 1, nameof(claim));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(claim.Lease, TimeSpan.Zero, nameof(claim));

        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var context = Mapped(lease.Context);
            var strategy = context.Database.CreateExecutionStrategy();
            var fast = Strategy(context);
            var claims = _claims.GetOrAdd(destination, static _ => new DestinationClaims());
            if (fast is not null && claims.TryTake(claim, timeProvider.GetUtcNow()) is { } early)
            {
                OutboxLog.Claimed(logger, early.Id, early.Destination, early.Events.Count, early.Attempt);
                return early;
            }

            for (int round = 0; round < MaxClaimRounds; round++)
            {
                int batches = fast is null ? 1 : claims.Depth;
                var now = Now();
                var own = claims.LiveLeases(now);
                var outcome = await strategy.ExecuteAsync(
                    (destination, claim, fast, batches, now, own),
                    static (ctx, state, ct) => state.fast is { } provider
                        ? provider.ClaimAsync(ctx, state.destination, state.claim, state.batches, state.now, state.own, ct)
                        : TryClaimAsync(ctx, state.destination, state.claim, state.now, state.own, ct),
                    verifySucceeded: null,
                    cancellationToken).ConfigureAwait(false);
                if (outcome.Batch is { } batch)
                {
                    claims.Keep(claim, batches, batch, outcome.Ahead);
                    OutboxLog.Claimed(logger, batch.Id, batch.Destination, batch.Events.Count, batch.Attempt);
                    return batch;
                }

                claims.Keep(claim, batches, null, []);

                if (!outcome.TryAgain)
                {
                    return null;
                }
            }

            return null;
        }
    }

    public async Task CompleteAsync(ActivityOutboxBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Released once the removal is durable, not before: a claim of this process in between would take the batch,
        // still leased in the database, for another process's.
        using var release = new LeaseRelease(this, batch);
        await ExecuteAsync(
            (this, batch),
            static async (ctx, state, ct) =>
            {
                var b = state.batch;
                if (state.Item1.Strategy(ctx) is { } fast)
                {
                    await fast.CompleteAsync(ctx, b, ct).ConfigureAwait(false);
                    return true;
                }

                var transaction = await ctx.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    Guid id = b.Id;
                    string destination = b.Destination;
                    await ctx.Set<OutboxDeliveryRow>().Where(e => e.Destination == destination && e.BatchId == id).ExecuteDeleteAsync(ct).ConfigureAwait(false);
                    await ctx.Set<OutboxBatchRow>().Where(r => r.Id == id).ExecuteDeleteAsync(ct).ConfigureAwait(false);
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    return true;
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task RetryLaterAsync(ActivityOutboxBatch batch, DateTimeOffset retryAt, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(reason);
        using var release = new LeaseRelease(this, batch);
        Guid id = batch.Id;
        DateTime fence = OutboxTime.Truncate(batch.LeaseExpiresAt);
        DateTime next = OutboxTime.Truncate(retryAt);
        string error = Truncate(reason);
        int changed = await UpdateAsync(
            set => set.Where(r => r.Id == id && r.Status == OutboxBatchRow.Pending && r.LeaseExpiresAt == fence)
                .ExecuteUpdateAsync(
                    s => s.SetProperty(r => r.Attempt, r => r.Attempt + 1)
                        .SetProperty(r => r.NextAttemptAt, next)
                        .SetProperty(r => r.LeaseExpiresAt, (DateTime?)null)
                        .SetProperty(r => r.LastError, error),
                    cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (changed == 0)
        {
            OutboxLog.LeaseLost(logger, batch.Id, batch.Destination, "retry later");
        }
    }

    public async Task DeadLetterAsync(ActivityOutboxBatch batch, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(reason);
        using var release = new LeaseRelease(this, batch);
        Guid id = batch.Id;
        DateTime fence = OutboxTime.Truncate(batch.LeaseExpiresAt);
        DateTime now = OutboxTime.Truncate(timeProvider.GetUtcNow());
        string error = Truncate(reason);
        int changed = await UpdateAsync(
            set => set.Where(r => r.Id == id && r.Status == OutboxBatchRow.Pending && r.LeaseExpiresAt == fence)
                .ExecuteUpdateAsync(
                    s => s.SetProperty(r => r.Attempt, r => r.Attempt + 1)
                        .SetProperty(r => r.Status, OutboxBatchRow.Dead)
                        .SetProperty(r => r.LeaseExpiresAt, (DateTime?)null)
                        .SetProperty(r => r.DeadLetteredAt, now)
                        .SetProperty(r => r.LastError, error),
                    cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (changed == 0)
        {
            OutboxLog.LeaseLost(logger, batch.Id, batch.Destination, "dead-letter");
        }
        else
        {
            OutboxLog.DeadLettered(logger, batch.Id, batch.Destination, batch.Attempt + 1);
        }
    }

    public async Task<IReadOnlyList<ActivityOutboxDeadLetter>> ListDeadLettersAsync(string? destination, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1_000);
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var context = Mapped(lease.Context);
            var batches = context.Set<OutboxBatchRow>().AsNoTracking().Where(r => r.Status == OutboxBatchRow.Dead);
            if (destination is not null)
            {
                batches = batches.Where(r => r.Destination == destination);
            }

            var deliveries = context.Set<OutboxDeliveryRow>();
            var rows = await batches
                .OrderBy(r => r.DeadLetteredAt).ThenBy(r => r.Id)
                .Take(limit)
                .Select(r => new { Batch = r, Count = deliveries.Count(e => e.Destination == r.Destination && e.BatchId == r.Id) })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(r => new ActivityOutboxDeadLetter(
                r.Batch.Id,
                r.Batch.Destination,
                r.Count,
                r.Batch.Attempt,
                r.Batch.LastError ?? "",
                OutboxTime.Read(r.Batch.CreatedAt),
                OutboxTime.Read(r.Batch.DeadLetteredAt ?? r.Batch.CreatedAt)))];
        }
    }

    public async Task<bool> RedeliverAsync(Guid batchId, CancellationToken cancellationToken = default)
    {
        DateTime now = OutboxTime.Truncate(timeProvider.GetUtcNow());
        int changed = await UpdateAsync(
            set => set.Where(r => r.Id == batchId && r.Status == OutboxBatchRow.Dead)
                .ExecuteUpdateAsync(
                    s => s.SetProperty(r => r.Attempt, 0)
                        .SetProperty(r => r.Status, OutboxBatchRow.Pending)
                        .SetProperty(r => r.NextAttemptAt, now)
                        .SetProperty(r => r.LeaseExpiresAt, (DateTime?)null)
                        .SetProperty(r => r.DeadLetteredAt, (DateTime?)null),
                    cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (changed == 0)
        {
            return false;
        }

        // Due now: wake this process's workers rather than leave the batch to their next poll.
        signal.Notify();
        return true;
    }

    public async Task<long> CountPendingAsync(string destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var context = Mapped(lease.Context);
            var dead = context.Set<OutboxBatchRow>().Where(r => r.Destination == destination && r.Status == OutboxBatchRow.Dead).Select(r => (Guid?)r.Id);
            return await context.Set<OutboxDeliveryRow>()
                .Where(e => e.Destination == destination && (e.BatchId == null || !dead.Contains(e.BatchId)))
                .LongCountAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ActivityOutboxStatus> GetStatusAsync(string destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var context = Mapped(lease.Context);
            var deadBatches = context.Set<OutboxBatchRow>().Where(r => r.Destination == destination && r.Status == OutboxBatchRow.Dead);
            var dead = deadBatches.Select(r => (Guid?)r.Id);
            var pending = context.Set<OutboxDeliveryRow>().Where(e => e.Destination == destination && (e.BatchId == null || !dead.Contains(e.BatchId)));
            long count = await pending.LongCountAsync(cancellationToken).ConfigureAwait(false);
            // The lowest id is the oldest delivery (ids increase), and the primary key finds it without a scan.
            var oldest = count == 0 ? null : await pending.OrderBy(e => e.Id).Select(e => (DateTime?)e.CreatedAt).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            long deadLetters = await deadBatches.LongCountAsync(cancellationToken).ConfigureAwait(false);
            return new ActivityOutboxStatus(count, oldest is { } at ? OutboxTime.Read(at) : null, deadLetters);
        }
    }

    private Task<int> UpdateAsync(Func<DbSet<OutboxBatchRow>, Task<int>> update, CancellationToken cancellationToken) =>
        ExecuteAsync(update, static (ctx, u, _) => u(ctx.Set<OutboxBatchRow>()), cancellationToken);

    /// <summary>Runs one operation on a context of its own, inside the provider's execution strategy.</summary>
    private async Task<TResult> ExecuteAsync<TState, TResult>(
        TState state, Func<DbContext, TState, CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken)
    {
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var strategy = Mapped(lease.Context).Database.CreateExecutionStrategy();
            return await strategy.ExecuteAsync(state, operation, verifySucceeded: null, cancellationToken).ConfigureAwait(false);
        }
    }

    private DateTimeOffset Now() => timeProvider.GetUtcNow();

    /// <summary>The provider's strategy for this context, or <see langword="null"/> for the portable path.</summary>
    private IActivityOutboxStrategy? Strategy(DbContext context)
    {
        foreach (var strategy in _strategies)
        {
            if (strategy.CanRun(context))
            {
                return strategy;
            }
        }

        return null;
    }

    private static string Truncate(string reason) =>
        reason.Length <= OutboxBatchRow.MaxErrorLength ? reason : reason[..OutboxBatchRow.MaxErrorLength];

    private static TContext Mapped(TContext context)
    {
        // One check and one message for every outbox path (writes and claims).
        OutboxWriter.EnsureMapped(context);
        return context;
    }

    /// <summary>Forgets this process's lease of a batch when disposed, after the call that reported on it.</summary>
    private readonly struct LeaseRelease(EntityFrameworkActivityOutbox<TContext> outbox, ActivityOutboxBatch batch) : IDisposable
    {
        public void Dispose()
        {
            if (outbox._claims.TryGetValue(batch.Destination, out var claims))
            {
                claims.Release(batch.Id);
            }
        }
    }
}

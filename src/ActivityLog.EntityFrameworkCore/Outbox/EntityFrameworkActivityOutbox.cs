using System.Collections.Concurrent;
using System.Data.Common;
using System.Linq.Expressions;
using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Reading;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
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
        Release(batch);
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
        Release(batch);
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
        Release(batch);
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

    /// <summary>One claim attempt in one transaction: a due batch, else a new one; <c>TryAgain</c> when a race was lost.</summary>
    private static async Task<OutboxClaimOutcome> TryClaimAsync(
        DbContext context, string destination, ActivityOutboxClaim claim, DateTimeOffset utcNow, List<Guid> own, CancellationToken cancellationToken)
    {
        context.ChangeTracker.Clear();
        var database = context.Database;
        bool npgsql = database.ProviderName == NpgsqlProvider;
        var now = OutboxTime.Truncate(utcNow);
        var leaseExpires = OutboxTime.Truncate(utcNow + claim.Lease);
        var batches = context.Set<OutboxBatchRow>();
        var deliveries = context.Set<OutboxDeliveryRow>();
        // A batch formed earlier that is due again: its retry time has come, or its lease ran out.
        Expression<Func<OutboxBatchRow, bool>> due = r =>
            r.Destination == destination && r.Status == OutboxBatchRow.Pending && r.NextAttemptAt <= now && (r.LeaseExpiresAt == null || r.LeaseExpiresAt <= now);

        // Idle polls are the common case: look without a transaction first, so that an empty outbox never takes SQLite's
        // write lock (which the store's writes need) and costs PostgreSQL two index probes.
        bool work = await deliveries.AnyAsync(e => e.Destination == destination && e.BatchId == null, cancellationToken).ConfigureAwait(false) ||
            await batches.AnyAsync(due, cancellationToken).ConfigureAwait(false);
        if (!work)
        {
            return OutboxClaimOutcome.Nothing;
        }

        var transaction = await database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            // 0. One batch in flight per destination across processes. On PostgreSQL claimers of one destination take turns
            // (an advisory lock held until this transaction ends; a claimer that finds it taken leaves the work to the holder),
            // so the check below and the batch formed after it cannot interleave with another claim. SQLite's write
            // transaction serializes claims already; elsewhere the compare-and-set below narrows the race to the check.
            if (npgsql && !await TryLockDestinationAsync(context, destination, cancellationToken).ConfigureAwait(false))
            {
                return OutboxClaimOutcome.Nothing;
            }

            if (await batches.AnyAsync(
                r => r.Destination == destination && r.Status == OutboxBatchRow.Pending && r.LeaseExpiresAt > now && !own.Contains(r.Id),
                cancellationToken).ConfigureAwait(false))
            {
                return OutboxClaimOutcome.Nothing; // in flight elsewhere: that claimer keeps the destination's order
            }

            // 1. A batch formed earlier that is due again.
            Guid? dueId;
            if (npgsql)
            {
                dueId = await ScalarGuidAsync(
                    context,
                    $"SELECT id FROM {Table<OutboxBatchRow>(context)} WHERE destination = @d AND status = @s AND next_attempt_at <= @now " +
                    "AND (lease_expires_at IS NULL OR lease_expires_at <= @now) ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                    [("d", destination), ("s", OutboxBatchRow.Pending), ("now", now)],
                    cancellationToken).ConfigureAwait(false);
            }
            else
            {
                dueId = await batches.AsNoTracking()
                    .Where(due)
                    .OrderBy(r => r.NextAttemptAt).ThenBy(r => r.Id)
                    .Select(r => (Guid?)r.Id)
                    .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            }

            if (dueId is { } id)
            {
                int taken = await batches.Where(due).Where(r => r.Id == id)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseExpiresAt, leaseExpires), cancellationToken).ConfigureAwait(false);
                if (taken == 0)
                {
                    return OutboxClaimOutcome.Lost;
                }

                int attempt = await batches.Where(r => r.Id == id).Select(r => r.Attempt).SingleAsync(cancellationToken).ConfigureAwait(false);
                var eventIds = await deliveries.AsNoTracking()
                    .Where(e => e.Destination == destination && e.BatchId == id)
                    .OrderBy(e => e.Id)
                    .Select(e => e.EventId)
                    .ToListAsync(cancellationToken).ConfigureAwait(false);
                var events = await LoadEventsAsync(context, eventIds, cancellationToken).ConfigureAwait(false);
                if (events.Count == 0)
                {
                    // Nothing left to send (the events were deleted by hand): the batch is done.
                    await deliveries.Where(e => e.Destination == destination && e.BatchId == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                    await batches.Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return OutboxClaimOutcome.Lost;
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return new OutboxClaimOutcome(new ActivityOutboxBatch(id, destination, attempt, events, OutboxTime.Read(leaseExpires)), TryAgain: false);
            }

            // 2. A new batch from the destination's oldest unbatched deliveries.
            List<(long Id, Guid EventId)> candidates;
            if (npgsql)
            {
                candidates = await DeliveryCandidatesAsync(
                    context,
                    $"SELECT id, event_id FROM {Table<OutboxDeliveryRow>(context)} WHERE destination = @d AND batch_id IS NULL ORDER BY id LIMIT @n FOR UPDATE SKIP LOCKED",
                    [("d", destination), ("n", claim.MaxEvents)],
                    cancellationToken).ConfigureAwait(false);
            }
            else
            {
                candidates = [.. (await deliveries.AsNoTracking()
                    .Where(e => e.Destination == destination && e.BatchId == null)
                    .OrderBy(e => e.Id)
                    .Take(claim.MaxEvents)
                    .Select(e => new { e.Id, e.EventId })
                    .ToListAsync(cancellationToken).ConfigureAwait(false)).Select(e => (e.Id, e.EventId))];
            }

            if (candidates.Count == 0)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return OutboxClaimOutcome.Nothing;
            }

            var loaded = await LoadEventsAsync(context, [.. candidates.Select(c => c.EventId)], cancellationToken).ConfigureAwait(false);
            var byId = loaded.ToDictionary(e => e.Id);
            var takenDeliveries = new List<long>(candidates.Count);
            var batchEvents = new List<ActivityLogEvent>(candidates.Count);
            long bytes = 0;
            foreach (var (deliveryId, eventId) in candidates)
            {
                if (!byId.TryGetValue(eventId, out var activityEvent))
                {
                    // A delivery whose event is gone joins the batch and is deleted with it; it sends nothing.
                    takenDeliveries.Add(deliveryId);
                    continue;
                }

                long size = claim.MeasureBytes is { } measure ? measure(activityEvent) : 0;
                if (batchEvents.Count > 0 && bytes + size > claim.MaxBytes)
                {
                    break;
                }

                bytes += size;
                takenDeliveries.Add(deliveryId);
                batchEvents.Add(activityEvent);
            }

            if (batchEvents.Count == 0)
            {
                await deliveries.Where(e => takenDeliveries.Contains(e.Id) && e.BatchId == null).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return OutboxClaimOutcome.Lost;
            }

            var batchId = Guid.CreateVersion7(utcNow);
            batches.Add(new OutboxBatchRow
            {
                Id = batchId,
                Destination = destination,
                Attempt = 0,
                Status = OutboxBatchRow.Pending,
                NextAttemptAt = now,
                LeaseExpiresAt = leaseExpires,
                CreatedAt = now,
            });
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            context.ChangeTracker.Clear();
            Guid? newBatch = batchId;
            int joined = await deliveries
                .Where(e => takenDeliveries.Contains(e.Id) && e.BatchId == null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.BatchId, newBatch), cancellationToken).ConfigureAwait(false);
            if (joined != takenDeliveries.Count)
            {
                // Another claimer batched some of these deliveries first (providers without row locks): start over.
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return OutboxClaimOutcome.Lost;
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new OutboxClaimOutcome(new ActivityOutboxBatch(batchId, destination, 0, batchEvents, OutboxTime.Read(leaseExpires)), TryAgain: false);
        }
    }

    /// <summary>The events with these ids, in the order of the ids (missing ones left out).</summary>
    private static async Task<List<ActivityLogEvent>> LoadEventsAsync(DbContext context, List<Guid> ids, CancellationToken cancellationToken)
    {
        var rows = await context.Set<StoredActivityLogEvent>().AsNoTracking()
            .Where(e => ids.Contains(e.Id))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var byId = rows.ToDictionary(r => r.Id);
        var events = new List<ActivityLogEvent>(rows.Count);
        foreach (var id in ids)
        {
            if (byId.TryGetValue(id, out var row))
            {
                events.Add(row.ToActivityLogEvent());
            }
        }

        return events;
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

    private static string Table<TRow>(DbContext context)
    {
        var entityType = context.Model.FindEntityType(typeof(TRow))!;
        return context.GetService<ISqlGenerationHelper>().DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema());
    }

    /// <summary>Takes the destination's claim lock for this transaction (PostgreSQL), or finds it taken by another claimer.</summary>
    private static async Task<bool> TryLockDestinationAsync(DbContext context, string destination, CancellationToken cancellationToken)
    {
        var command = CreateCommand(context, $"SELECT pg_try_advisory_xact_lock({EntityFrameworkOutboxLimits.AdvisoryLockClass}, hashtext(@d))", [("d", destination)]);
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
    }

    private void Release(ActivityOutboxBatch batch)
    {
        if (_claims.TryGetValue(batch.Destination, out var claims))
        {
            claims.Release(batch.Id);
        }
    }

    // The PostgreSQL row-locking reads are plain commands on the context's connection and transaction: EF Core has no
    // FOR UPDATE SKIP LOCKED, and wrapping raw SQL in a composed query would move the lock into a subquery.
    private static async Task<Guid?> ScalarGuidAsync(DbContext context, string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        var command = CreateCommand(context, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is Guid id ? id : null;
        }
    }

    private static async Task<List<(long Id, Guid EventId)>> DeliveryCandidatesAsync(DbContext context, string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        var result = new List<(long, Guid)>();
        var command = CreateCommand(context, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result.Add((reader.GetInt64(0), reader.GetGuid(1)));
                }
            }
        }

        return result;
    }

    private static DbCommand CreateCommand(DbContext context, string sql, (string Name, object Value)[] parameters)
    {
        var command = context.Database.GetDbConnection().CreateCommand();
        command.Transaction = context.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}

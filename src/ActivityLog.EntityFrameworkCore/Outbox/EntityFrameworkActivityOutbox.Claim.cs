using System.Data.Common;
using System.Linq.Expressions;
using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>The portable claim: EF Core queries and conditional updates, with PostgreSQL's row locks and claim lock where it runs on Npgsql.</summary>
internal sealed partial class EntityFrameworkActivityOutbox<TContext>
{
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
            // (an advisory lock held until this transaction ends; the next claimer waits for it: claims are a few statements),
            // so the check below and the batch formed after it cannot interleave with another claim. SQLite's write
            // transaction serializes claims already; elsewhere the compare-and-set below narrows the race to the check.
            if (npgsql)
            {
                await LockDestinationAsync(context, destination, cancellationToken).ConfigureAwait(false);
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

    private static string Table<TRow>(DbContext context)
    {
        var entityType = context.Model.FindEntityType(typeof(TRow))!;
        return context.GetService<ISqlGenerationHelper>().DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema());
    }

    /// <summary>Takes the destination's claim lock for this transaction (PostgreSQL), waiting while another claimer holds it.</summary>
    private static async Task LockDestinationAsync(DbContext context, string destination, CancellationToken cancellationToken)
    {
        var command = CreateCommand(context, $"SELECT pg_advisory_xact_lock({EntityFrameworkOutboxLimits.AdvisoryLockClass}, hashtext(@d))", [("d", destination)]);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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

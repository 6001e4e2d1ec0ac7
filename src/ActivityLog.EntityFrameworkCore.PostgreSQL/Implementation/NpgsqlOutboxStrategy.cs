using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Outbox;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Implementation;

/// <summary>
/// The outbox's claim and completion on PostgreSQL in few round trips: a claim is one statement that leases a due
/// batch, or locks the oldest unbatched deliveries, and returns the events (<see cref="OutboxPlan.ClaimSql"/>); one that
/// forms the new batches (<see cref="OutboxPlan.FormSql"/>); and the commit. A completion is one <c>DELETE</c> of the
/// batch and its deliveries.
/// </summary>
/// <remarks>
/// The byte limit is measured by the caller's <see cref="ActivityOutboxClaim.MeasureBytes"/>, so new batches are cut on
/// this side, inside the claim's transaction: no batch is committed larger than the limits. While a backlog exists
/// the outbox asks for several batches per claim, which shares the three round trips among them. The rows are the
/// ones the generic path writes, so instances with and without this strategy can share an outbox.
/// </remarks>
internal sealed class NpgsqlOutboxStrategy : IActivityOutboxStrategy
{
    public bool CanRun(DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Database.IsNpgsql() && OutboxPlan.For(context) is not null;
    }

    public async Task<OutboxClaimOutcome> ClaimAsync(
        DbContext context, string destination, ActivityOutboxClaim claim, int maxBatches, DateTimeOffset utcNow, IReadOnlyList<Guid> ownLeases, CancellationToken cancellationToken)
    {
        var plan = OutboxPlan.For(context) ?? throw new InvalidOperationException("The outbox mapping of this context is not one this strategy reads; check CanRun first.");
        var now = OutboxTime.Truncate(utcNow);
        var leaseExpires = OutboxTime.Truncate(utcNow + claim.Lease);
        var lease = OutboxTime.Read(leaseExpires);
        var database = context.Database;
        await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = (NpgsqlConnection)database.GetDbConnection();
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // Claimers of one destination take turns for the length of this transaction (the next one waits: a claim
                // is three statements). Giving up instead would let every claimer stop while the one holding the lock is
                // itself refused. The claim statement runs after the lock is held, so its snapshot sees
                // every batch an earlier holder committed, and its live-lease guard keeps one batch in flight.
                await LockAsync(connection, transaction, destination, cancellationToken).ConfigureAwait(false);

                long limit = Math.Min((long)claim.MaxEvents * Math.Max(1, maxBatches), int.MaxValue);
                var claimed = await ReadClaimAsync(connection, transaction, plan, destination, (int)limit, now, leaseExpires, ownLeases, cancellationToken).ConfigureAwait(false);
                if (claimed.Members.Count == 0)
                {
                    // Nothing due and nothing to batch: the statement changed nothing.
                    return OutboxClaimOutcome.Nothing;
                }

                if (claimed.DueBatch is { } due)
                {
                    var events = new List<ActivityLogEvent>(claimed.Members.Count);
                    foreach (var (_, row) in claimed.Members)
                    {
                        if (row is not null)
                        {
                            events.Add(row.ToActivityLogEvent());
                        }
                    }

                    if (events.Count == 0)
                    {
                        // Every event of the batch was deleted by hand: the batch is done; look again.
                        await CompleteAsync(connection, transaction, plan, destination, due, cancellationToken).ConfigureAwait(false);
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                        return OutboxClaimOutcome.Lost;
                    }

                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return new OutboxClaimOutcome(new ActivityOutboxBatch(due, destination, claimed.Attempt, events, lease), TryAgain: false);
                }

                var formed = Form(claimed.Members, claim, maxBatches, utcNow, destination, lease);
                await FormAsync(connection, transaction, plan, destination, formed, now, leaseExpires, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return formed.Batches.Count == 0
                    ? OutboxClaimOutcome.Lost // only deliveries whose events are gone: dropped; look again
                    : new OutboxClaimOutcome(formed.Batches[0], TryAgain: false) { Ahead = formed.Batches[1..] };
            }
        }
        finally
        {
            await database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    public async Task CompleteAsync(DbContext context, ActivityOutboxBatch batch, CancellationToken cancellationToken)
    {
        var plan = OutboxPlan.For(context) ?? throw new InvalidOperationException("The outbox mapping of this context is not one this strategy reads; check CanRun first.");
        var database = context.Database;
        await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One statement is one transaction: the batch and its deliveries go together.
            await CompleteAsync((NpgsqlConnection)database.GetDbConnection(), null, plan, batch.Destination, batch.Id, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<(string Destination, DateTime Due)>> ListUnbatchedDueAsync(
        DbContext context, DateTime now, IReadOnlyList<Guid> ahead, int limit, CancellationToken cancellationToken)
    {
        var plan = OutboxPlan.For(context) ?? throw new InvalidOperationException("The outbox mapping of this context is not one this strategy reads; check CanRun first.");
        var database = context.Database;
        await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = new NpgsqlCommand(plan.DueSql, (NpgsqlConnection)database.GetDbConnection());
            await using (command.ConfigureAwait(false))
            {
                command.Parameters.Add(new NpgsqlParameter<string>("s", NpgsqlDbType.Text) { TypedValue = OutboxBatchRow.Pending });
                command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
                command.Parameters.Add(new NpgsqlParameter<Guid[]>("ahead", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = [.. ahead] });
                command.Parameters.Add(new NpgsqlParameter<int>("n", NpgsqlDbType.Integer) { TypedValue = limit });
                var result = new List<(string, DateTime)>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        result.Add((reader.GetString(0), DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc)));
                    }
                }

                return result;
            }
        }
        finally
        {
            await database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Cuts the locked deliveries, oldest first, into at most <paramref name="maxBatches"/> batches within the limits (each
    /// with at least one event); a delivery whose event is gone joins the batch being formed and is deleted with it.
    /// Deliveries past the last batch stay unbatched (their locks end with the transaction).
    /// </summary>
    private static Formed Form(
        List<(long DeliveryId, StoredActivityLogEvent? Row)> members, ActivityOutboxClaim claim, int maxBatches, DateTimeOffset utcNow, string destination, DateTimeOffset lease)
    {
        var batches = new List<ActivityOutboxBatch>();
        var deliveries = new List<long>(members.Count);
        var deliveryBatches = new List<Guid>(members.Count);
        var orphans = new List<long>();
        var events = new List<ActivityLogEvent>(Math.Min(claim.MaxEvents, members.Count));
        var pendingDeliveries = new List<long>();
        long bytes = 0;
        for (int i = 0; i < members.Count; i++)
        {
            var (deliveryId, row) = members[i];
            if (row is null)
            {
                pendingDeliveries.Add(deliveryId);
                continue;
            }

            var activityEvent = row.ToActivityLogEvent();
            long size = claim.MeasureBytes is { } measure ? measure(activityEvent) : 0;
            if (events.Count > 0 && (events.Count >= claim.MaxEvents || bytes + size > claim.MaxBytes))
            {
                Close();
                if (batches.Count == maxBatches)
                {
                    pendingDeliveries.Clear();
                    break;
                }
            }

            bytes += size;
            events.Add(activityEvent);
            pendingDeliveries.Add(deliveryId);
        }

        if (events.Count > 0)
        {
            Close();
        }
        else if (batches.Count < maxBatches)
        {
            // Deliveries whose events are gone and that no batch can take any more: drop them now.
            orphans.AddRange(pendingDeliveries);
        }

        return new Formed(batches, deliveries, deliveryBatches, orphans);

        void Close()
        {
            var id = Guid.CreateVersion7(utcNow);
            batches.Add(new ActivityOutboxBatch(id, destination, 0, [.. events], lease));
            foreach (long delivery in pendingDeliveries)
            {
                deliveries.Add(delivery);
                deliveryBatches.Add(id);
            }

            events.Clear();
            pendingDeliveries.Clear();
            bytes = 0;
        }
    }

    /// <summary>Runs the claim statement: the due batch (if one was leased) and its or the unbatched deliveries, with their rows (null where the event is gone).</summary>
    private static async Task<Claimed> ReadClaimAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        OutboxPlan plan,
        string destination,
        int limit,
        DateTime now,
        DateTime leaseExpires,
        IReadOnlyList<Guid> ownLeases,
        CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(plan.ClaimSql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("d", NpgsqlDbType.Text) { TypedValue = destination });
            command.Parameters.Add(new NpgsqlParameter<string>("s", NpgsqlDbType.Text) { TypedValue = OutboxBatchRow.Pending });
            command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
            command.Parameters.Add(new NpgsqlParameter<DateTime>("lease", NpgsqlDbType.TimestampTz) { TypedValue = leaseExpires });
            command.Parameters.Add(new NpgsqlParameter<int>("n", NpgsqlDbType.Integer) { TypedValue = limit });
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("own", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = [.. ownLeases] });
            // Planning this statement costs about as much as running it: a pooled connection keeps the prepared plan.
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                Guid? due = null;
                int attempt = 0;
                var members = new List<(long, StoredActivityLogEvent?)>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!reader.IsDBNull(0))
                    {
                        due = reader.GetGuid(0);
                        attempt = reader.GetInt32(1);
                    }

                    // A due batch without deliveries comes as one row with a null delivery: it is dropped like one whose events are gone.
                    members.Add((reader.IsDBNull(2) ? 0 : reader.GetInt64(2), reader.IsDBNull(3) ? null : plan.Read(reader)));
                }

                return new Claimed(due, attempt, members);
            }
        }
    }

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string destination, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(OutboxPlan.LockSql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("d", NpgsqlDbType.Text) { TypedValue = destination });
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task FormAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, OutboxPlan plan, string destination, Formed formed, DateTime now, DateTime leaseExpires, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(plan.FormSql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("d", NpgsqlDbType.Text) { TypedValue = destination });
            command.Parameters.Add(new NpgsqlParameter<string>("s", NpgsqlDbType.Text) { TypedValue = OutboxBatchRow.Pending });
            command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
            command.Parameters.Add(new NpgsqlParameter<DateTime>("lease", NpgsqlDbType.TimestampTz) { TypedValue = leaseExpires });
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("batches", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = [.. formed.Batches.Select(b => b.Id)] });
            command.Parameters.Add(new NpgsqlParameter<long[]>("deliveries", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. formed.Deliveries] });
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("delivery_batches", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = [.. formed.DeliveryBatches] });
            command.Parameters.Add(new NpgsqlParameter<long[]>("orphans", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. formed.Orphans] });
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task CompleteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, OutboxPlan plan, string destination, Guid batchId, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(plan.CompleteSql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("d", NpgsqlDbType.Text) { TypedValue = destination });
            command.Parameters.Add(new NpgsqlParameter<Guid>("b", NpgsqlDbType.Uuid) { TypedValue = batchId });
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record Claimed(Guid? DueBatch, int Attempt, List<(long DeliveryId, StoredActivityLogEvent? Row)> Members);

    private sealed record Formed(List<ActivityOutboxBatch> Batches, List<long> Deliveries, List<Guid> DeliveryBatches, List<long> Orphans);
}

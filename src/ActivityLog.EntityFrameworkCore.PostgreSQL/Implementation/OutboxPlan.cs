using System.Data.Common;
using System.Runtime.CompilerServices;
using ActivityLog.EntityFrameworkCore.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Implementation;

/// <summary>
/// The outbox SQL for one model, built once per model from the EF Core mapping (the outbox tables' names and schema,
/// the activity log table's name, schema and column names), and the reader of the event columns it returns.
/// </summary>
internal sealed class OutboxPlan
{
    /// <summary>
    /// Takes the claim lock of destination <c>@d</c> until the transaction ends, waiting while another claimer holds it
    /// (a two-key advisory lock, so it never meets the host's one-key locks).
    /// </summary>
    public static readonly string LockSql = $"SELECT pg_advisory_xact_lock({EntityFrameworkOutboxLimits.AdvisoryLockClass}, hashtext(@d))";

    /// <summary>The columns the claim returns before the event's: batch id, attempt, delivery id, the event's id (null when the event is gone).</summary>
    public const int EventOffset = 4;

    private static readonly ConditionalWeakTable<IModel, Cached> Plans = [];

    private OutboxPlan(string claim, string form, string complete, string due, EventColumn[] columns)
    {
        DueSql = due;
        ClaimSql = claim;
        FormSql = form;
        CompleteSql = complete;
        Columns = columns;
    }

    /// <summary>
    /// One statement that leases the destination's oldest due batch and returns its deliveries with their events, or, when
    /// none is due, locks its oldest unbatched deliveries (at most <c>@n</c>) and returns them with their events, for the
    /// caller to cut into batches; nothing while the destination has a batch under a live lease other than <c>@own</c>
    /// (one batch in flight per destination). Parameters: <c>@d</c> destination, <c>@s</c> the pending status, <c>@now</c>,
    /// <c>@lease</c> the lease's expiry, <c>@n</c> the most deliveries, <c>@own</c> the caller's own live leases.
    /// </summary>
    /// <remarks>
    /// Both the due batch and the deliveries are locked with <c>FOR UPDATE SKIP LOCKED</c>, so concurrent claimers pass
    /// over each other's rows. One row per delivery, oldest first: the due batch's id and attempt (null for an unbatched
    /// delivery), the delivery's id, then the event's columns, null where the event is gone; a due batch without deliveries
    /// comes as one row with a null delivery.
    /// </remarks>
    public string ClaimSql { get; }

    /// <summary>
    /// Forms the batches of the deliveries the claim locked, in one statement: inserts batches <c>@batches</c> (pending,
    /// attempt 0, leased until <c>@lease</c>), joins deliveries <c>@deliveries</c> to <c>@delivery_batches</c> and deletes the
    /// <c>@orphans</c> (deliveries whose events are gone and that no batch took).
    /// </summary>
    public string FormSql { get; }

    /// <summary>
    /// The destinations with unbatched deliveries and no batch under a live lease other than <c>@ahead</c>, with their
    /// oldest unbatched delivery's creation time, oldest first, at most <c>@n</c>. A loose index scan: the recursive part
    /// jumps from one destination to the next in <c>ix_…_destination_batch</c>, so the cost grows with the number of
    /// destinations, not with the backlog. Parameters: <c>@s</c> the pending status, <c>@now</c>, <c>@ahead</c>, <c>@n</c>.
    /// </summary>
    public string DueSql { get; }

    /// <summary>Deletes batch <c>@b</c> of destination <c>@d</c> and its deliveries in one statement (delivered, or nothing left to send).</summary>
    public string CompleteSql { get; }

    /// <summary>The event's columns, in the order the claim returns them after <see cref="EventOffset"/>.</summary>
    public IReadOnlyList<EventColumn> Columns { get; }

    /// <summary>The plan for the context's model, or <see langword="null"/> when its mapping is one this plan cannot read (then the generic path runs).</summary>
    public static OutboxPlan? For(DbContext context)
    {
        var model = context.Model;
        if (!Plans.TryGetValue(model, out var cached))
        {
            cached = Plans.GetValue(model, m => new Cached(TryCreate(m, context.GetService<ISqlGenerationHelper>())));
        }

        return cached.Plan;
    }

    internal static OutboxPlan? TryCreate(IModel model, ISqlGenerationHelper sql)
    {
        var events = model.FindEntityType(typeof(StoredActivityLogEvent));
        var deliveries = model.FindEntityType(typeof(OutboxDeliveryRow));
        var batches = model.FindEntityType(typeof(OutboxBatchRow));
        if (events is null || deliveries is null || batches is null)
        {
            return null;
        }

        var mappings = events.GetTableMappings().ToList();
        if (mappings.Count != 1 || events.FindPrimaryKey() is not { Properties.Count: 1 } key)
        {
            return null;
        }

        var table = mappings[0].Table;
        var store = StoreObjectIdentifier.Table(table.Name, table.Schema);
        var columns = new List<EventColumn>();
        foreach (var columnMapping in mappings[0].ColumnMappings)
        {
            // The search columns are for the reader; a delivery needs neither.
            if (Search.SearchModel.IsComputed(columnMapping.Property) || columnMapping.Property.Name == nameof(StoredActivityLogEvent.SearchText))
            {
                continue;
            }

            // A value converter or a property this reader does not know: leave the outbox to EF Core rather than guess.
            if (columnMapping.TypeMapping.Converter is not null || EventColumn.Create(columnMapping.Property.Name, columnMapping.Column.Name) is not { } column)
            {
                return null;
            }

            columns.Add(column);
        }

        if (key.Properties[0].GetColumnName(store) is not { } keyColumn)
        {
            return null;
        }

        string e = sql.DelimitIdentifier(deliveries.GetTableName()!, deliveries.GetSchema());
        string b = sql.DelimitIdentifier(batches.GetTableName()!, batches.GetSchema());
        string v = sql.DelimitIdentifier(table.Name, table.Schema);
        string select = string.Join(", ", columns.Select(c => "v." + sql.DelimitIdentifier(c.Column)));
        string vid = "v." + sql.DelimitIdentifier(keyColumn);

        // The outbox tables' column names are fixed by OutboxModel; only their table names and schema vary. The events
        // are read by key one delivery at a time (LATERAL … LIMIT 1): for a few thousand deliveries the planner otherwise
        // prefers hashing the whole events table, which costs more the longer the log grows.
        string claim = $"""
            WITH busy AS (
                SELECT 1 FROM {b}
                WHERE destination = @d AND status = @s AND lease_expires_at > @now AND id <> ALL(@own)
                LIMIT 1),
            due AS (
                SELECT id FROM {b}
                WHERE destination = @d AND status = @s AND next_attempt_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
                    AND NOT EXISTS (SELECT 1 FROM busy)
                ORDER BY next_attempt_at, id
                LIMIT 1
                FOR UPDATE SKIP LOCKED),
            leased AS (
                UPDATE {b} AS b SET lease_expires_at = @lease FROM due WHERE b.id = due.id
                RETURNING b.id, b.attempt),
            picked AS (
                SELECT id, event_id FROM {e}
                WHERE destination = @d AND batch_id IS NULL AND NOT EXISTS (SELECT 1 FROM due) AND NOT EXISTS (SELECT 1 FROM busy)
                ORDER BY id
                LIMIT @n
                FOR UPDATE SKIP LOCKED),
            members AS (
                SELECT leased.id AS batch_id, leased.attempt, e.id, e.event_id
                FROM {e} AS e JOIN leased ON e.destination = @d AND e.batch_id = leased.id
                UNION ALL
                SELECT leased.id, leased.attempt, NULL, NULL FROM leased
                WHERE NOT EXISTS (SELECT 1 FROM {e} AS e WHERE e.destination = @d AND e.batch_id = leased.id)
                UNION ALL
                SELECT NULL, 0, id, event_id FROM picked)
            SELECT m.batch_id, m.attempt, m.id, {vid}, {select}
            FROM members AS m
            LEFT JOIN LATERAL (SELECT * FROM {v} AS v WHERE {vid} = m.event_id LIMIT 1) AS v ON TRUE
            ORDER BY m.id
            """;
        string form = $"""
            WITH formed AS (
                INSERT INTO {b} (id, destination, attempt, status, next_attempt_at, lease_expires_at, created_at)
                SELECT id, @d, 0, @s, @now, @lease, @now FROM unnest(@batches) AS id),
            joined AS (
                UPDATE {e} AS e SET batch_id = m.batch_id
                FROM unnest(@deliveries, @delivery_batches) AS m(id, batch_id)
                WHERE e.id = m.id AND e.destination = @d AND e.batch_id IS NULL)
            DELETE FROM {e} WHERE id = ANY(@orphans) AND destination = @d AND batch_id IS NULL
            """;
        // Each min() is one probe of the (destination, batch_id, id) index; the oldest delivery's time is then read by key.
        string due = $"""
            WITH RECURSIVE d(destination) AS (
                SELECT min(destination) FROM {e} WHERE batch_id IS NULL
                UNION ALL
                SELECT (SELECT min(destination) FROM {e} WHERE batch_id IS NULL AND destination > d.destination)
                FROM d WHERE d.destination IS NOT NULL)
            SELECT d.destination, f.created_at
            FROM d
            CROSS JOIN LATERAL (SELECT min(id) AS id FROM {e} WHERE destination = d.destination AND batch_id IS NULL) AS m
            JOIN {e} AS f ON f.id = m.id
            WHERE d.destination IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM {b} AS b WHERE b.destination = d.destination AND b.status = @s AND b.lease_expires_at > @now AND b.id <> ALL(@ahead))
            ORDER BY f.created_at, d.destination
            LIMIT @n
            """;
        return new OutboxPlan(
            claim,
            form,
            $"WITH gone AS (DELETE FROM {e} WHERE destination = @d AND batch_id = @b) DELETE FROM {b} WHERE id = @b",
            due,
            [.. columns]);
    }

    /// <summary>Reads the event columns of the current row (from <see cref="EventOffset"/>) into a new row object.</summary>
    public StoredActivityLogEvent Read(DbDataReader reader)
    {
        var row = new StoredActivityLogEvent();
        for (int i = 0; i < Columns.Count; i++)
        {
            int ordinal = EventOffset + i;
            if (!reader.IsDBNull(ordinal))
            {
                Columns[i].Read(reader, ordinal, row);
            }
        }

        return row;
    }

    private sealed record Cached(OutboxPlan? Plan);
}

/// <summary>One event column the claim returns: its name and how its value is read into the row.</summary>
internal sealed record EventColumn(string Column, Action<DbDataReader, int, StoredActivityLogEvent> Read)
{
    /// <summary>The reader for a property of <see cref="StoredActivityLogEvent"/>, or <see langword="null"/> for one it does not know.</summary>
    public static EventColumn? Create(string property, string column)
    {
        Action<DbDataReader, int, StoredActivityLogEvent>? read = property switch
        {
            nameof(StoredActivityLogEvent.Id) => static (r, i, row) => row.Id = r.GetGuid(i),
            // timestamptz reads as UTC; a column without time zone holds UTC too (the COPY writer's convention).
            nameof(StoredActivityLogEvent.OccurredAt) => static (r, i, row) => row.OccurredAt = DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc),
            nameof(StoredActivityLogEvent.ActorIdIsNumber) => static (r, i, row) => row.ActorIdIsNumber = r.GetBoolean(i),
            nameof(StoredActivityLogEvent.AccountId) => static (r, i, row) => row.AccountId = r.GetString(i),
            nameof(StoredActivityLogEvent.Name) => static (r, i, row) => row.Name = r.GetString(i),
            nameof(StoredActivityLogEvent.Description) => static (r, i, row) => row.Description = r.GetString(i),
            nameof(StoredActivityLogEvent.ActorType) => static (r, i, row) => row.ActorType = r.GetString(i),
            nameof(StoredActivityLogEvent.ActorId) => static (r, i, row) => row.ActorId = r.GetString(i),
            nameof(StoredActivityLogEvent.ActorName) => static (r, i, row) => row.ActorName = r.GetString(i),
            nameof(StoredActivityLogEvent.ResourceType) => static (r, i, row) => row.ResourceType = r.GetString(i),
            nameof(StoredActivityLogEvent.ResourceId) => static (r, i, row) => row.ResourceId = r.GetString(i),
            nameof(StoredActivityLogEvent.ResourceName) => static (r, i, row) => row.ResourceName = r.GetString(i),
            nameof(StoredActivityLogEvent.RelatedResources) => static (r, i, row) => row.RelatedResources = r.GetString(i),
            nameof(StoredActivityLogEvent.Changes) => static (r, i, row) => row.Changes = r.GetString(i),
            nameof(StoredActivityLogEvent.Context) => static (r, i, row) => row.Context = r.GetString(i),
            nameof(StoredActivityLogEvent.Metadata) => static (r, i, row) => row.Metadata = r.GetString(i),
            _ => null,
        };
        return read is null ? null : new EventColumn(column, read);
    }
}

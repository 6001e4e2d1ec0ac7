using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Schema;
using ActivityLog.Extensibility;
using ActivityLog.Redaction;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Storage;

/// <summary>
/// The store's sink on the queued path: writes each processed batch into the activity log table of the host's
/// <typeparamref name="TContext"/>, through a registered <see cref="IActivityBulkWriter"/> when one can write into that
/// context, and through EF Core's <c>SaveChanges</c> otherwise.
/// </summary>
/// <remarks>
/// <para>
/// Each batch gets its own DI scope and context (whether the host registered it with <c>AddDbContext</c>,
/// <c>AddDbContextPool</c> or <c>AddDbContextFactory</c>), so nothing the sink tracks outlives the batch and the host's
/// scoped services (interceptors, tenant resolvers) apply as in any request. The write runs inside the provider's
/// execution strategy, so a host that enabled <c>EnableRetryOnFailure</c> gets its retries, and the dispatcher retries
/// whatever still fails with back-off.
/// </para>
/// <para>
/// Idempotent on the event id: the rows already stored (by an earlier attempt of the same batch whose commit succeeded
/// but whose reply was lost, say) are skipped, so a retried batch never duplicates a row and never fails because some
/// of its ids exist. When the table does not exist the write throws, and the dispatcher retries it.
/// </para>
/// <para>
/// A batch the database refuses because of a value (SQLSTATE class 22, 23 or 54) or whose rows cannot be built is
/// rethrown as <see cref="ActivityLogEventRejectedException"/>: the dispatcher then splits it, writes the valid events and
/// quarantines the one at fault, instead of retrying the whole batch and dropping it (<see cref="StoreRejections"/>).
/// </para>
/// <para>
/// With outbox subscribers registered (a delivery package), the events' outbox deliveries go into the same transaction as
/// the events, only for the events this write stores (an event stored by an earlier attempt already had its deliveries,
/// which may since have been delivered and deleted), and the process's delivery workers are woken after the commit.
/// </para>
/// </remarks>
/// <typeparam name="TContext">The host's context; its model maps <see cref="StoredActivityLogEvent"/>.</typeparam>
internal sealed class EntityFrameworkActivitySink<TContext> : IActivitySink
    where TContext : DbContext
{
    /// <summary>
    /// The most ids in one "which of these exist" query: below every provider's parameter limit (SQLite's is 32,766,
    /// SQL Server's 2,100), whatever <see cref="ActivityLogOptions.MaxBatchSize"/> is.
    /// </summary>
    internal const int ExistingIdsChunkSize = 1_000;

    /// <summary>The fewest rows worth a connection of their own when a batch is split over parallel bulk writes.</summary>
    internal const int MinRowsPerParallelWrite = 100;

    private readonly IServiceScopeFactory _scopes;
    private readonly ActivityLogSchemaInitializer<TContext> _schema;
    private readonly IActivityBulkWriter[] _bulkWriters;
    private readonly ILogger _logger;
    private readonly int _parallelBulkWrites;
    private readonly OutboxWriter _outbox;
    private readonly string _mask;

    public EntityFrameworkActivitySink(
        IServiceScopeFactory scopes,
        ActivityLogSchemaInitializer<TContext> schema,
        IEnumerable<IActivityBulkWriter> bulkWriters,
        Microsoft.Extensions.Options.IOptions<ActivityLogStoreOptions> options,
        OutboxWriter outbox,
        SensitiveFieldRedactor redactor,
        ILogger<EntityFrameworkActivitySink<TContext>> logger)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        _mask = redactor.Mask;
        ArgumentNullException.ThrowIfNull(options);
        _parallelBulkWrites = options.Value.ParallelBulkWrites;
        _scopes = scopes;
        _schema = schema;
        _bulkWriters = [.. bulkWriters];
        _logger = logger;
        _outbox = outbox;
    }

    public async Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return;
        }

        // With CreateSchemaOnStart, the first batch waits for the table (a finished task otherwise).
        await _schema.WhenReadyAsync(cancellationToken).ConfigureAwait(false);

        var rows = new StoredActivityLogEvent[batch.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            try
            {
                rows[i] = StoredActivityLogEvent.FromActivityLogEvent(batch[i], _mask);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // One event whose values cannot be written: the dispatcher quarantines it and writes the rest.
                throw StoreRejections.Unconvertible(batch[i], exception);
            }
        }

        // Null (and nothing more to do) unless a subscriber accepts an event of the batch.
        var deliveries = _outbox.Plan(batch);

        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var (context, owned) = await ResolveContextAsync(scope.ServiceProvider, cancellationToken).ConfigureAwait(false);
            try
            {
                EnsureMapped(context);
                if (deliveries is not null)
                {
                    OutboxWriter.EnsureMapped(context);
                }

                var writer = FindBulkWriter(context);
                int parts = writer is not null && _parallelBulkWrites > 1
                    ? Math.Min(_parallelBulkWrites, rows.Length / MinRowsPerParallelWrite)
                    : 1;
                try
                {
                    if (parts <= 1)
                    {
                        await WriteAsync(context, writer, rows, deliveries, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await WriteInPartsAsync(context, writer!, rows, deliveries, parts, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception exception) when (StoreRejections.Classify(exception) is { } rejected)
                {
                    // The rows, not the database, are the problem: the dispatcher splits the batch instead of retrying it.
                    throw rejected;
                }

                if (deliveries is not null)
                {
                    _outbox.Notify();
                }
            }
            finally
            {
                if (owned)
                {
                    await context.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Splits a batch over several connections written at once (bulk writers only): the database maintains the table's
    /// indexes on more than one core. Each part is all-or-nothing and idempotent, so when one fails the batch is
    /// retried as a whole and the parts already stored are skipped.
    /// </summary>
    private async Task WriteInPartsAsync(
        DbContext first, IActivityBulkWriter writer, StoredActivityLogEvent[] rows, List<OutboxDeliveryRow>?[]? deliveries, int parts, CancellationToken cancellationToken)
    {
        int size = (rows.Length + parts - 1) / parts;
        var writes = new Task[parts];
        writes[0] = WriteAsync(first, writer, rows[..size], deliveries?[..size], cancellationToken);
        for (int p = 1; p < parts; p++)
        {
            var range = (p * size)..Math.Min(rows.Length, (p + 1) * size);
            writes[p] = WritePartAsync(rows[range], deliveries?[range], cancellationToken);
        }

        await Task.WhenAll(writes).ConfigureAwait(false);

        async Task WritePartAsync(StoredActivityLogEvent[] part, List<OutboxDeliveryRow>?[]? partDeliveries, CancellationToken ct)
        {
            var partScope = _scopes.CreateAsyncScope();
            await using (partScope.ConfigureAwait(false))
            {
                var (context, owned) = await ResolveContextAsync(partScope.ServiceProvider, ct).ConfigureAwait(false);
                try
                {
                    await WriteAsync(context, writer, part, partDeliveries, ct).ConfigureAwait(false);
                }
                finally
                {
                    if (owned)
                    {
                        await context.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }
    }

    private static void EnsureMapped(DbContext context)
    {
        if (context.Model.FindEntityType(typeof(StoredActivityLogEvent)) is null)
        {
            throw new InvalidOperationException(
                $"The model of {context.GetType().Name} does not map the activity log: call modelBuilder.AddActivityLog() in its OnModelCreating.");
        }
    }

    /// <summary>Writes rows through a context: the bulk writer that accepted it, or the generic path.</summary>
    private async Task WriteAsync(
        DbContext context, IActivityBulkWriter? writer, StoredActivityLogEvent[] rows, List<OutboxDeliveryRow>?[]? deliveries, CancellationToken cancellationToken)
    {
        var strategy = context.Database.CreateExecutionStrategy();
        if (deliveries is not null && Array.Exists(deliveries, e => e is not null))
        {
            int inserted = await strategy.ExecuteAsync(
                (writer, rows, deliveries),
                static (ctx, state, ct) => InsertMissingWithOutboxAsync(ctx, state.writer, state.rows, state.deliveries, ct),
                verifySucceeded: null,
                cancellationToken).ConfigureAwait(false);
            if (inserted < rows.Length)
            {
                StorageLog.SkippedStoredEvents(_logger, rows.Length - inserted, rows.Length);
            }

            return;
        }

        if (writer is not null)
        {
            await strategy.ExecuteAsync(
                (writer, rows),
                static async (ctx, state, ct) =>
                {
                    await state.writer.WriteAsync(ctx, state.rows, ct).ConfigureAwait(false);
                    return true;
                },
                verifySucceeded: null,
                cancellationToken).ConfigureAwait(false);
            return;
        }

        int written = await strategy.ExecuteAsync(
            rows,
            static (ctx, state, ct) => InsertMissingAsync(ctx, state, ct),
            verifySucceeded: null,
            cancellationToken).ConfigureAwait(false);
        if (written < rows.Length)
        {
            StorageLog.SkippedStoredEvents(_logger, rows.Length - written, rows.Length);
        }
    }

    private IActivityBulkWriter? FindBulkWriter(DbContext context)
    {
        foreach (var writer in _bulkWriters)
        {
            if (writer.CanWrite(context))
            {
                return writer;
            }
        }

        return null;
    }

    /// <summary>
    /// The generic path for any relational provider: find which ids of the batch are already stored, then add the
    /// others and save them in one <c>SaveChanges</c> (one transaction, batched by the provider). Portable SQL only:
    /// "insert unless present" has no syntax every provider shares, so the check is a query.
    /// </summary>
    /// <returns>The number of rows inserted.</returns>
    private static async Task<int> InsertMissingAsync(DbContext context, StoredActivityLogEvent[] rows, CancellationToken cancellationToken)
    {
        // The execution strategy may run this again: start from an empty change tracker every time.
        var tracker = context.ChangeTracker;
        tracker.Clear();
        var stored = await StoredIdsAsync(context, rows, cancellationToken).ConfigureAwait(false);
        if (stored?.Count == rows.Length)
        {
            return 0;
        }

        // Rows are only ever added, never modified, so change detection has nothing to find: switching it off saves a
        // scan of every tracked entry per SaveChanges. Restored for a pooled context's next user.
        bool autoDetect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            var set = context.Set<StoredActivityLogEvent>();
            int added = 0;
            foreach (var row in rows)
            {
                if (stored is null || !stored.Contains(row.Id))
                {
                    set.Add(row);
                    added++;
                }
            }

            await context.SaveChangesAsync(acceptAllChangesOnSuccess: false, cancellationToken).ConfigureAwait(false);
            return added;
        }
        finally
        {
            tracker.Clear();
            tracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    /// <summary>
    /// Events and their outbox deliveries in one transaction: find which events of the batch are stored already, then write
    /// the others (through the bulk writer, which then writes in this transaction, or the change tracker) and the
    /// deliveries of exactly those.
    /// </summary>
    /// <returns>The number of events inserted.</returns>
    private static async Task<int> InsertMissingWithOutboxAsync(
        DbContext context, IActivityBulkWriter? writer, StoredActivityLogEvent[] rows, List<OutboxDeliveryRow>?[] deliveries, CancellationToken cancellationToken)
    {
        var tracker = context.ChangeTracker;
        tracker.Clear();
        bool autoDetect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var stored = await StoredIdsAsync(context, rows, cancellationToken).ConfigureAwait(false);
                var missing = new List<StoredActivityLogEvent>(rows.Length - (stored?.Count ?? 0));
                for (int i = 0; i < rows.Length; i++)
                {
                    if (stored is not null && stored.Contains(rows[i].Id))
                    {
                        continue;
                    }

                    missing.Add(rows[i]);
                    if (writer is null)
                    {
                        context.Add(rows[i]);
                    }

                    if (deliveries[i] is { } eventDeliveries)
                    {
                        foreach (var delivery in eventDeliveries)
                        {
                            // A fresh row per attempt: the execution strategy may run this again after a failed commit.
                            context.Add(new OutboxDeliveryRow { Destination = delivery.Destination, EventId = delivery.EventId, CreatedAt = delivery.CreatedAt });
                        }
                    }
                }

                if (missing.Count > 0)
                {
                    if (writer is not null)
                    {
                        await writer.WriteAsync(context, missing, cancellationToken).ConfigureAwait(false);
                    }

                    await context.SaveChangesAsync(acceptAllChangesOnSuccess: false, cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return missing.Count;
            }
        }
        finally
        {
            tracker.Clear();
            tracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    /// <summary>The ids of the rows that are already stored, or <see langword="null"/> when none is.</summary>
    private static async Task<HashSet<Guid>?> StoredIdsAsync(DbContext context, StoredActivityLogEvent[] rows, CancellationToken cancellationToken)
    {
        var set = context.Set<StoredActivityLogEvent>();
        HashSet<Guid>? stored = null;
        for (int start = 0; start < rows.Length; start += ExistingIdsChunkSize)
        {
            int count = Math.Min(ExistingIdsChunkSize, rows.Length - start);
            var ids = new Guid[count];
            for (int i = 0; i < count; i++)
            {
                ids[i] = rows[start + i].Id;
            }

            foreach (var id in await set.Where(e => ids.Contains(e.Id)).Select(e => e.Id).ToListAsync(cancellationToken).ConfigureAwait(false))
            {
                (stored ??= []).Add(id);
            }
        }

        return stored;
    }

    /// <summary>
    /// The scope's <typeparamref name="TContext"/> (<c>AddDbContext</c>, <c>AddDbContextPool</c>), or a context from a
    /// registered <see cref="IDbContextFactory{TContext}"/>, which the caller then disposes.
    /// </summary>
    private static async ValueTask<(DbContext Context, bool Owned)> ResolveContextAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (services.GetService<TContext>() is { } scoped)
        {
            return (scoped, false);
        }

        if (services.GetService<IDbContextFactory<TContext>>() is { } factory)
        {
            return (await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false), true);
        }

        throw new InvalidOperationException(
            $"{typeof(TContext).Name} is not registered: add it with services.AddDbContext<{typeof(TContext).Name}>(…) or AddDbContextFactory<{typeof(TContext).Name}>(…).");
    }
}

using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>
/// A provider-specific fast path for the store sink: writes a batch of rows in bulk (PostgreSQL's binary
/// <c>COPY</c>, say) through the host's own context. Provider packages register one as a singleton
/// (<c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IActivityBulkWriter, MyWriter&gt;())</c>); the sink
/// uses the first registered writer whose <see cref="CanWrite"/> accepts the context, and EF Core's own
/// <c>SaveChanges</c> otherwise.
/// </summary>
/// <remarks>
/// <para>
/// A writer must be <b>idempotent on <see cref="StoredActivityLogEvent.Id"/></b>: a batch is retried after any failure,
/// including one after which some or all of its rows were already committed, so rows whose id is already in the
/// table are skipped, never an error and never a second row. It must write all the rows or none (one transaction),
/// and take the table, schema and column names from <c>context.Model</c>, since hosts rename them.
/// </para>
/// <para>
/// <see cref="WriteAsync"/> runs inside the context's execution strategy, which may call it again on a transient
/// failure, on a context of its own with no transaction open; it may open the context's connection and begin a
/// transaction on it, and must leave neither open. It
/// throws on failure. Implementations are singletons and must be thread-safe.
/// </para>
/// <para>
/// When the store also writes outbox deliveries for the batch (a delivery package registered subscribers), it calls
/// <see cref="WriteAsync"/> with <c>context.Database.CurrentTransaction</c> already open, passing only rows that are
/// not yet stored: the writer must then write them in that transaction, neither beginning nor committing one, and
/// throw on any failure (the store rolls the whole transaction back and retries).
/// </para>
/// </remarks>
internal interface IActivityBulkWriter
{
    /// <summary>Whether this writer can write into the context's activity log table (its provider, its mapping).</summary>
    /// <param name="context">The context the sink writes through; its model maps <see cref="StoredActivityLogEvent"/>.</param>
    /// <returns><see langword="true"/> to have <see cref="WriteAsync"/> write the batches of this context.</returns>
    bool CanWrite(DbContext context);

    /// <summary>Writes the rows that are not yet in the table, in one transaction.</summary>
    /// <param name="context">The context, as accepted by <see cref="CanWrite"/>.</param>
    /// <param name="rows">The rows, oldest first; never empty; unique ids. Do not keep the list.</param>
    /// <param name="cancellationToken">Cancelled when the host gives up on the write (shutdown).</param>
    /// <returns>A task that completes once the rows are committed.</returns>
    Task WriteAsync(DbContext context, IReadOnlyList<StoredActivityLogEvent> rows, CancellationToken cancellationToken);
}

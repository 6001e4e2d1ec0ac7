namespace ActivityLog.EntityFrameworkCore;

/// <summary>
/// Deletes old events from the activity log table in bounded batches. The store's retention job calls it every
/// <see cref="ActivityLogStoreOptions.RetentionInterval"/> when <see cref="ActivityLogStoreOptions.RetentionPeriod"/> is
/// set; call it yourself for an ad-hoc purge. Registered as a singleton; thread-safe.
/// </summary>
/// <remarks>
/// Each batch is one <c>DELETE</c> of at most <see cref="ActivityLogStoreOptions.RetentionBatchSize"/> of the oldest rows
/// (its own short transaction, served by the <c>occurred_at</c> index), repeated until no row older than the cutoff is
/// left, so that no statement holds locks on a large part of the table. Cancelling stops between batches; the batches
/// already done stay deleted.
/// </remarks>
public interface IActivityLogRetention
{
    /// <summary>Deletes every event of every account that happened before <paramref name="cutoff"/> (exclusive).</summary>
    /// <param name="cutoff">Events strictly older than this are deleted.</param>
    /// <param name="cancellationToken">Stops after the current batch.</param>
    /// <returns>The number of events deleted.</returns>
    Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);

    /// <summary>Deletes every event older than <paramref name="age"/>, measured from now by the registered <see cref="TimeProvider"/>.</summary>
    /// <param name="age">How old an event must be to be deleted; positive.</param>
    /// <param name="cancellationToken">Stops after the current batch.</param>
    /// <returns>The number of events deleted.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="age"/> is zero or negative.</exception>
    Task<long> DeleteOlderThanAsync(TimeSpan age, CancellationToken cancellationToken = default);
}

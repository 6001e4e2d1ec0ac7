using ActivityLog.Extensibility;
namespace ActivityLog.Extensibility;

/// <summary>
/// A durable delivery queue kept by a store (the EF Core store implements it with two tables in the host's
/// database). Deliveries are written in the same transaction as their events, for every
/// <see cref="IActivityOutboxSubscriber"/> that accepts them; a delivery package (webhooks) claims them in batches,
/// sends them, and reports the outcome. This is how the webhooks package meets the store without referencing it.
/// </summary>
/// <remarks>
/// <para>
/// A batch, once formed, keeps its <see cref="ActivityOutboxBatch.Id"/> and its events for every later attempt, so a
/// receiver can deduplicate by it. A claim holds a lease: a worker that dies mid-delivery loses its lease when it
/// expires, and the next claim for that destination takes the same batch again, with the same id.
/// </para>
/// <para>
/// Several processes may share one outbox: a claim never hands a batch to a second worker while its lease runs
/// (row locks with <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL). Implementations are thread-safe singletons.
/// </para>
/// </remarks>
public interface IActivityOutbox
{
    /// <summary>
    /// Claims the next batch that is due for <paramref name="destination"/>: a batch whose retry time has come or
    /// whose lease expired, else a new batch formed from the oldest unbatched deliveries (at most
    /// <see cref="ActivityOutboxClaim.MaxEvents"/> events and, measured with
    /// <see cref="ActivityOutboxClaim.MeasureBytes"/>, at most <see cref="ActivityOutboxClaim.MaxBytes"/>, but always at
    /// least one event). The batch is leased until <see cref="ActivityOutboxBatch.LeaseExpiresAt"/>.
    /// </summary>
    /// <param name="destination">The subscriber's <see cref="IActivityOutboxSubscriber.Destination"/>.</param>
    /// <param name="claim">Batch limits and lease length.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The batch, or <see langword="null"/> when nothing is due.</returns>
    Task<ActivityOutboxBatch?> ClaimAsync(string destination, ActivityOutboxClaim claim, CancellationToken cancellationToken = default);

    /// <summary>The batch was delivered: removes it and its deliveries. Idempotent.</summary>
    /// <param name="batch">A batch returned by <see cref="ClaimAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the removal is durable.</returns>
    Task CompleteAsync(ActivityOutboxBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// The attempt failed and another is due at <paramref name="retryAt"/>: releases the lease, counts the attempt and
    /// keeps the batch (same id, same events).
    /// </summary>
    /// <param name="batch">A batch returned by <see cref="ClaimAsync"/>.</param>
    /// <param name="retryAt">When the batch may be claimed again.</param>
    /// <param name="reason">What went wrong, for the dead-letter listing; never a secret. At most 2,000 characters are kept.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the new state is durable.</returns>
    Task RetryLaterAsync(ActivityOutboxBatch batch, DateTimeOffset retryAt, string reason, CancellationToken cancellationToken = default);

    /// <summary>The batch will not be attempted again (last attempt failed, or the target refused it for good): keeps it as a dead letter.</summary>
    /// <param name="batch">A batch returned by <see cref="ClaimAsync"/>.</param>
    /// <param name="reason">Why, for the dead-letter listing; never a secret. At most 2,000 characters are kept.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the new state is durable.</returns>
    Task DeadLetterAsync(ActivityOutboxBatch batch, string reason, CancellationToken cancellationToken = default);

    /// <summary>Lists dead-lettered batches, oldest first.</summary>
    /// <param name="destination">Only this destination's, or <see langword="null"/> for all.</param>
    /// <param name="limit">The most to return (1 to 1,000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dead letters, without their events.</returns>
    Task<IReadOnlyList<ActivityOutboxDeadLetter>> ListDeadLettersAsync(string? destination, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Makes a dead-lettered batch due again now (same id, same events, attempts counted from zero).</summary>
    /// <param name="batchId">The dead letter's <see cref="ActivityOutboxDeadLetter.BatchId"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when a dead letter with that id existed and is due again.</returns>
    Task<bool> RedeliverAsync(Guid batchId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists destinations that have work due now, for one delivery engine that serves every destination from a bounded
    /// pool: destinations with a batch whose retry time has come (or whose lease ran out) or with unbatched deliveries,
    /// ordered by the time their oldest due work fell due (a retry time, or the oldest delivery's creation), so that a
    /// destination with a long backlog does not come first forever. A destination with a batch under a live lease (in
    /// flight in this or another process) is left out: one batch in flight per destination keeps its order.
    /// </summary>
    /// <param name="limit">The most destinations to return (1 to 10,000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The destinations, and when the next not-yet-due work falls due.</returns>
    Task<ActivityOutboxDueList> ListDueAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes every dead letter of <paramref name="destination"/> dead-lettered at or after <paramref name="since"/> due
    /// again now, with the same ids and events and attempts counted from zero (an admin's "recover failed messages").
    /// </summary>
    /// <param name="destination">The destination.</param>
    /// <param name="since">The earliest dead-letter time to recover.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many batches are due again.</returns>
    Task<int> RecoverAsync(string destination, DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes everything waiting for <paramref name="destination"/> (unbatched deliveries and pending batches, and with
    /// <paramref name="includeDeadLetters"/> its dead letters too), for a destination that resumes "from now" (dead
    /// letters kept: an admin may still redeliver them) or was deleted (nothing can redeliver them any more, and they
    /// would keep their events from retention). The caller counts and logs what it discarded. A batch under a live
    /// lease is removed too; the worker holding it finds it gone when it completes.
    /// </summary>
    /// <param name="destination">The destination.</param>
    /// <param name="includeDeadLetters">Whether the destination's dead letters go too.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many events were discarded (dead-lettered ones included when they went).</returns>
    Task<long> DiscardPendingAsync(string destination, bool includeDeadLetters = false, CancellationToken cancellationToken = default);

    /// <summary>The number of events waiting for <paramref name="destination"/>, batched or not, dead letters excluded: the queue depth.</summary>
    /// <param name="destination">The destination.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    Task<long> CountPendingAsync(string destination, CancellationToken cancellationToken = default);

    /// <summary>
    /// The destination's backlog: pending events, when the oldest was added, and dead letters. Read by the health check
    /// (<c>AddHealthChecks().AddActivityLog()</c>). The default answers from <see cref="CountPendingAsync"/> and
    /// <see cref="ListDeadLettersAsync"/> (at most 1,000 dead letters counted, no age); the EF Core and in-memory outboxes answer it in full.
    /// </summary>
    /// <param name="destination">The destination.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The status.</returns>
    async Task<ActivityOutboxStatus> GetStatusAsync(string destination, CancellationToken cancellationToken = default)
    {
        long pending = await CountPendingAsync(destination, cancellationToken).ConfigureAwait(false);
        var dead = await ListDeadLettersAsync(destination, 1_000, cancellationToken).ConfigureAwait(false);
        return new ActivityOutboxStatus(pending, null, dead.Count);
    }
}

using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>
/// A provider's fast path for the outbox's hot calls, supplied by a provider package (the PostgreSQL package's
/// <c>UsePostgreSqlOutbox()</c>) so that the generic outbox never looks at provider names. The outbox uses the first
/// registered strategy whose <see cref="CanRun"/> accepts the context, and its portable EF Core path otherwise.
/// </summary>
/// <remarks>
/// A strategy keeps every guarantee of <see cref="IActivityOutbox"/>: due batches before new ones, a batch's id and
/// events stable across attempts, the lease, claims that never hand a leased batch or delivery to a second claimer, and
/// the batch limits (<see cref="ActivityOutboxClaim.MaxEvents"/>, <see cref="ActivityOutboxClaim.MaxBytes"/>, at least
/// one event), and one batch in flight per destination: no batch is handed out or formed while the destination has a
/// batch under a live lease other than the caller's own, checked under the database's own locking so that two
/// concurrent claimers cannot both pass. Its methods run inside the context's execution strategy, on a context of their own with no transaction
/// open, and must leave neither a connection nor a transaction open. Implementations are thread-safe singletons.
/// </remarks>
internal interface IActivityOutboxStrategy
{
    /// <summary>Whether this strategy runs the outbox of this context (its provider, its mapping).</summary>
    /// <param name="context">A context whose model maps the outbox.</param>
    /// <returns><see langword="true"/> to have this strategy claim and complete for this context.</returns>
    bool CanRun(DbContext context);

    /// <summary>
    /// One claim attempt, all or nothing: the batch, nothing due, or a lost race to try again. With
    /// <paramref name="maxBatches"/> above 1 and no batch due, the attempt may form up to that many new batches at once
    /// (each within the limits, each leased, oldest first): the first is the claimed batch, the others come in
    /// <see cref="OutboxClaimOutcome.Ahead"/> for the outbox to hand out on the next claims.
    /// </summary>
    /// <param name="context">The context, as accepted by <see cref="CanRun"/>.</param>
    /// <param name="destination">The destination.</param>
    /// <param name="claim">Batch limits and lease length (validated).</param>
    /// <param name="maxBatches">The most batches to form (at least 1).</param>
    /// <param name="utcNow">The outbox's clock, read once for this attempt.</param>
    /// <param name="ownLeases">The destination's batches this process holds under a live lease: they do not block the claim.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The outcome.</returns>
    Task<OutboxClaimOutcome> ClaimAsync(
        DbContext context, string destination, ActivityOutboxClaim claim, int maxBatches, DateTimeOffset utcNow, IReadOnlyList<Guid> ownLeases, CancellationToken cancellationToken);

    /// <summary>
    /// The destinations with unbatched deliveries and no batch under a live lease (other than <paramref name="ahead"/>),
    /// with the creation time of each one's oldest unbatched delivery, oldest first, at most <paramref name="limit"/>:
    /// the unbatched half of <see cref="IActivityOutbox.ListDueAsync"/>, in a cost that grows with the number of
    /// destinations rather than with the backlog.
    /// </summary>
    /// <param name="context">The context, as accepted by <see cref="CanRun"/>.</param>
    /// <param name="now">The outbox's clock, as stored.</param>
    /// <param name="ahead">Batches this process formed ahead: leased, but not in flight.</param>
    /// <param name="limit">The most destinations.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The destinations and when their work fell due.</returns>
    Task<IReadOnlyList<(string Destination, DateTime Due)>> ListUnbatchedDueAsync(
        DbContext context, DateTime now, IReadOnlyList<Guid> ahead, int limit, CancellationToken cancellationToken);

    /// <summary>Removes a delivered batch and its deliveries, durably. Idempotent.</summary>
    /// <param name="context">The context, as accepted by <see cref="CanRun"/>.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the removal is committed.</returns>
    Task CompleteAsync(DbContext context, ActivityOutboxBatch batch, CancellationToken cancellationToken);
}

/// <summary>What one claim attempt found: a batch, nothing due, or a race lost (<see cref="TryAgain"/>).</summary>
/// <param name="Batch">The claimed batch, or <see langword="null"/>.</param>
/// <param name="TryAgain">Whether the attempt lost a race, or dropped deliveries whose events are gone, and another may find work.</param>
internal readonly record struct OutboxClaimOutcome(ActivityOutboxBatch? Batch, bool TryAgain)
{
    /// <summary>Further batches formed and leased by the same attempt, oldest first (empty unless the attempt asked for several).</summary>
    public IReadOnlyList<ActivityOutboxBatch> Ahead { get; init; } = [];

    public static OutboxClaimOutcome Nothing => new(null, TryAgain: false);

    public static OutboxClaimOutcome Lost => new(null, TryAgain: true);
}

namespace ActivityLog.Extensibility;

/// <summary>
/// Where delivery subscriptions and their attempt history are kept: the EF Core store keeps them in the host's
/// database (two tables mapped by <c>modelBuilder.AddActivityLog()</c> when a delivery package is added); without a
/// store, the webhooks package keeps them in memory. The webhooks package reaches the store only through this
/// interface, so it does not reference EF Core. Implementations are thread-safe singletons; every read except
/// <see cref="ListChangedSinceAsync"/> is scoped to one account.
/// </summary>
public interface IActivitySubscriptionStore
{
    /// <summary>The account's subscriptions, deleted ones excluded, oldest first.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscriptions.</returns>
    Task<IReadOnlyList<ActivitySubscription>> ListAsync(string accountId, CancellationToken cancellationToken = default);

    /// <summary>One of the account's subscriptions, or <see langword="null"/> when it does not exist, is deleted or belongs to another account.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription or <see langword="null"/>.</returns>
    Task<ActivitySubscription?> FindAsync(string accountId, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Adds a new subscription.</summary>
    /// <param name="subscription">The subscription (its <see cref="ActivitySubscription.Version"/> is 1).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is durable.</returns>
    Task AddAsync(ActivitySubscription subscription, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a subscription if it still has <paramref name="expectedVersion"/> and belongs to the same account
    /// (optimistic concurrency); <paramref name="subscription"/> carries the next version. Deleting is an update that sets
    /// <see cref="ActivitySubscription.DeletedAt"/>.
    /// </summary>
    /// <param name="subscription">The new state.</param>
    /// <param name="expectedVersion">The version the change was made from.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="false"/> when the subscription is missing or changed meanwhile.</returns>
    Task<bool> UpdateAsync(ActivitySubscription subscription, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every subscription of every account (tombstones included) whose <see cref="ActivitySubscription.UpdatedAt"/> is at
    /// or after <paramref name="since"/>: how a delivery engine loads all subscriptions at start
    /// (<see cref="DateTimeOffset.MinValue"/>) and learns within seconds what other processes changed.
    /// </summary>
    /// <param name="since">The earliest change time to return.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscriptions, in any order.</returns>
    Task<IReadOnlyList<ActivitySubscription>> ListChangedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>Keeps delivery attempts.</summary>
    /// <param name="attempts">The attempts.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when they are durable.</returns>
    Task AddAttemptsAsync(IReadOnlyList<ActivityDeliveryAttempt> attempts, CancellationToken cancellationToken = default);

    /// <summary>The most recent attempts to one of the account's subscriptions, newest first.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="limit">The most to return (1 to 1,000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The attempts; none for another account's subscription.</returns>
    Task<IReadOnlyList<ActivityDeliveryAttempt>> ListAttemptsAsync(string accountId, Guid subscriptionId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Deletes attempts older than <paramref name="attemptsBefore"/> and tombstones deleted before <paramref name="deletedBefore"/>.</summary>
    /// <param name="attemptsBefore">Attempts made before this are deleted.</param>
    /// <param name="deletedBefore">Subscriptions deleted before this are removed for good.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many rows were deleted.</returns>
    Task<int> PurgeAsync(DateTimeOffset attemptsBefore, DateTimeOffset deletedBefore, CancellationToken cancellationToken = default);
}

namespace ActivityLog.Extensibility;

/// <summary>
/// The subscription store used when no store provides one: subscriptions and their attempt history in memory, lost
/// on restart. Same contract as a store's (account scoping, optimistic concurrency on
/// <see cref="ActivitySubscription.Version"/>, tombstones), so the webhooks package runs the same code on both.
/// </summary>
/// <remarks>
/// Thread-safe: one lock, never held across an await (every call completes synchronously). Subscriptions are few per
/// account; attempts are bounded per subscription (<see cref="MaxAttemptsPerSubscription"/>, the newest kept) so a
/// host that never purges still holds a bounded history. Values are copied on the way in, so a caller that changes
/// its list of events afterwards changes nothing here.
/// </remarks>
internal sealed class InMemoryActivitySubscriptionStore : IActivitySubscriptionStore
{
    /// <summary>How many attempts are kept per subscription: as many as <see cref="ListAttemptsAsync"/> can return.</summary>
    public const int MaxAttemptsPerSubscription = 1_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, ActivitySubscription> _subscriptions = [];

    // Per subscription, in arrival order (sorted when read).
    private readonly Dictionary<Guid, List<ActivityDeliveryAttempt>> _attempts = [];

    public Task<IReadOnlyList<ActivitySubscription>> ListAsync(string accountId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        lock (_gate)
        {
            IReadOnlyList<ActivitySubscription> list =
            [
                .. _subscriptions.Values
                    .Where(s => s.DeletedAt is null && string.Equals(s.AccountId, accountId, StringComparison.Ordinal))
                    .OrderBy(s => s.CreatedAt)
                    .ThenBy(s => s.Id),
            ];
            return Task.FromResult(list);
        }
    }

    public Task<ActivitySubscription?> FindAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        lock (_gate)
        {
            return Task.FromResult(
                _subscriptions.TryGetValue(id, out var found) && found.DeletedAt is null && string.Equals(found.AccountId, accountId, StringComparison.Ordinal)
                    ? found
                    : null);
        }
    }

    public Task AddAsync(ActivitySubscription subscription, CancellationToken cancellationToken = default)
    {
        Check(subscription);
        if (subscription.Version != 1)
        {
            throw new ArgumentException($"A new subscription has version 1, not {subscription.Version}.", nameof(subscription));
        }

        var copy = Copy(subscription);
        lock (_gate)
        {
            if (!_subscriptions.TryAdd(copy.Id, copy))
            {
                throw new InvalidOperationException($"A subscription with the id {copy.Id} exists already.");
            }
        }

        return Task.CompletedTask;
    }

    public Task<bool> UpdateAsync(ActivitySubscription subscription, long expectedVersion, CancellationToken cancellationToken = default)
    {
        Check(subscription);
        if (subscription.Version != expectedVersion + 1)
        {
            throw new ArgumentException(
                $"The new state carries version {subscription.Version}; an update from version {expectedVersion} carries {expectedVersion + 1}.", nameof(subscription));
        }

        var copy = Copy(subscription);
        lock (_gate)
        {
            // A tombstone is gone for its admins: it is not changed again (only purged).
            if (!_subscriptions.TryGetValue(copy.Id, out var stored)
                || stored.DeletedAt is not null
                || stored.Version != expectedVersion
                || !string.Equals(stored.AccountId, copy.AccountId, StringComparison.Ordinal))
            {
                return Task.FromResult(false);
            }

            _subscriptions[copy.Id] = copy;
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<ActivitySubscription>> ListChangedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<ActivitySubscription> list = [.. _subscriptions.Values.Where(s => s.UpdatedAt >= since)];
            return Task.FromResult(list);
        }
    }

    public Task AddAttemptsAsync(IReadOnlyList<ActivityDeliveryAttempt> attempts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        for (int i = 0; i < attempts.Count; i++)
        {
            if (attempts[i] is null)
            {
                throw new ArgumentException($"attempts[{i}] is null.", nameof(attempts));
            }

            ArgumentException.ThrowIfNullOrEmpty(attempts[i].AccountId, $"attempts[{i}].AccountId");
        }

        lock (_gate)
        {
            foreach (var attempt in attempts)
            {
                if (!_attempts.TryGetValue(attempt.SubscriptionId, out var kept))
                {
                    kept = [];
                    _attempts[attempt.SubscriptionId] = kept;
                }

                kept.Add(Bound(attempt));
                if (kept.Count > MaxAttemptsPerSubscription)
                {
                    // Drop the oldest by attempt time (arrival order may differ slightly between concurrent workers);
                    // a stable sort, so that attempts at the same instant keep their arrival order.
                    var ordered = kept.OrderBy(static a => a.AttemptedAt).Skip(kept.Count - MaxAttemptsPerSubscription).ToList();
                    kept.Clear();
                    kept.AddRange(ordered);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ActivityDeliveryAttempt>> ListAttemptsAsync(string accountId, Guid subscriptionId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1_000);
        lock (_gate)
        {
            if (!_attempts.TryGetValue(subscriptionId, out var kept))
            {
                return Task.FromResult<IReadOnlyList<ActivityDeliveryAttempt>>([]);
            }

            // Scoped by the attempt's own account, so an id guessed across accounts finds nothing.
            IReadOnlyList<ActivityDeliveryAttempt> list =
            [
                .. kept.Select(static (attempt, arrival) => (Attempt: attempt, Arrival: arrival))
                    .Where(x => string.Equals(x.Attempt.AccountId, accountId, StringComparison.Ordinal))
                    .OrderByDescending(static x => x.Attempt.AttemptedAt)
                    .ThenByDescending(static x => x.Arrival) // at the same instant (a coarse clock), the later kept is newer
                    .Take(limit)
                    .Select(static x => x.Attempt),
            ];
            return Task.FromResult(list);
        }
    }

    public Task<int> PurgeAsync(DateTimeOffset attemptsBefore, DateTimeOffset deletedBefore, CancellationToken cancellationToken = default)
    {
        int deleted = 0;
        lock (_gate)
        {
            foreach (var (id, kept) in _attempts.ToList())
            {
                deleted += kept.RemoveAll(a => a.AttemptedAt < attemptsBefore);
                if (kept.Count == 0)
                {
                    _attempts.Remove(id);
                }
            }

            foreach (var tombstone in _subscriptions.Values.Where(s => s.DeletedAt < deletedBefore).ToList())
            {
                _subscriptions.Remove(tombstone.Id);
                deleted++;
            }
        }

        return Task.FromResult(deleted);
    }

    private static void Check(ActivitySubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentException.ThrowIfNullOrEmpty(subscription.AccountId, "subscription.AccountId");
        ArgumentOutOfRangeException.ThrowIfLessThan(subscription.Version, 1, "subscription.Version");
    }

    // The record is immutable but its list may be the caller's: keep a copy of our own.
    private static ActivitySubscription Copy(ActivitySubscription subscription) =>
        subscription with { Events = [.. subscription.Events] };

    // The contract keeps at most MaxTextLength characters of the texts.
    private static ActivityDeliveryAttempt Bound(ActivityDeliveryAttempt attempt) => attempt with
    {
        Error = Cut(attempt.Error),
        ResponseExcerpt = Cut(attempt.ResponseExcerpt),
    };

    private static string? Cut(string? text)
    {
        if (text is not { Length: > ActivityDeliveryAttempt.MaxTextLength })
        {
            return text;
        }

        // Never half a surrogate pair: a lone surrogate is text no store can hold.
        int length = char.IsHighSurrogate(text[ActivityDeliveryAttempt.MaxTextLength - 1]) ? ActivityDeliveryAttempt.MaxTextLength - 1 : ActivityDeliveryAttempt.MaxTextLength;
        return text[..length];
    }
}

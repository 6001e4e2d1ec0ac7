using System.Collections.Concurrent;
using ActivityLog.Extensibility;

namespace ActivityLog.Delivery;

/// <summary>
/// The outbox used when no store provides one: per destination, a bounded list of waiting events and the batches
/// formed from them, all in memory. Same contract as a store's outbox (stable batch ids, leases, retry times, dead
/// letters), so one delivery engine serves both; lost on a crash (best effort), drained on a graceful stop.
/// </summary>
/// <remarks>Thread-safe: one lock per destination (found without a global lock); nothing awaits under it.</remarks>
internal sealed partial class InMemoryActivityOutbox(TimeProvider time, int capacityPerDestination) : IActivityOutbox
{
    private readonly ConcurrentDictionary<string, Destination> _destinations = new(StringComparer.Ordinal);

    /// <summary>Adds an event for a destination; <see langword="false"/> when that destination is full (the caller counts the drop).</summary>
    public bool TryAdd(string destination, ActivityLogEvent activity)
    {
        var queue = Get(destination);
        lock (queue)
        {
            if (queue.Pending >= capacityPerDestination)
            {
                return false;
            }

            queue.Unbatched.Enqueue(activity);
            queue.Pending++;
            return true;
        }
    }

    /// <summary>
    /// Adds events for a destination at once (a claim sees all of them or none), as many as fit; returns how many
    /// were added (the caller counts the rest as dropped).
    /// </summary>
    public int AddRange(string destination, List<ActivityLogEvent> events)
    {
        var queue = Get(destination);
        lock (queue)
        {
            int room = (int)Math.Max(0, Math.Min(events.Count, capacityPerDestination - queue.Pending));
            for (int i = 0; i < room; i++)
            {
                queue.Unbatched.Enqueue(events[i]);
            }

            queue.Pending += room;
            return room;
        }
    }

    public Task<ActivityOutboxBatch?> ClaimAsync(string destination, ActivityOutboxClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var queue = Get(destination);
        var now = time.GetUtcNow();
        lock (queue)
        {
            foreach (var batch in queue.Batches.Values)
            {
                if (!batch.Dead && batch.DueAt <= now && batch.LeasedUntil <= now)
                {
                    batch.LeasedUntil = now + claim.Lease;
                    return Task.FromResult<ActivityOutboxBatch?>(new(batch.Id, destination, batch.Attempt, batch.Events, batch.LeasedUntil));
                }
            }

            if (queue.Unbatched.Count == 0)
            {
                return Task.FromResult<ActivityOutboxBatch?>(null);
            }

            var events = new List<ActivityLogEvent>(Math.Min(claim.MaxEvents, queue.Unbatched.Count));
            long bytes = 0;
            while (events.Count < claim.MaxEvents && queue.Unbatched.TryPeek(out var next))
            {
                if (claim.MeasureBytes is { } measure)
                {
                    bytes += measure(next);
                    if (bytes > claim.MaxBytes && events.Count > 0)
                    {
                        break;
                    }
                }

                events.Add(queue.Unbatched.Dequeue());
            }

            var formed = new Batch(Guid.CreateVersion7(now), events, now) { LeasedUntil = now + claim.Lease, DueAt = now };
            queue.Batches.Add(formed.Id, formed);
            return Task.FromResult<ActivityOutboxBatch?>(new(formed.Id, destination, 0, events, formed.LeasedUntil));
        }
    }

    public Task CompleteAsync(ActivityOutboxBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var queue = Get(batch.Destination);
        lock (queue)
        {
            if (queue.Batches.Remove(batch.Id, out var removed) && !removed.Dead)
            {
                queue.Pending -= removed.Events.Count;
            }
        }

        return Task.CompletedTask;
    }

    public Task RetryLaterAsync(ActivityOutboxBatch batch, DateTimeOffset retryAt, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var queue = Get(batch.Destination);
        lock (queue)
        {
            if (queue.Batches.TryGetValue(batch.Id, out var kept))
            {
                kept.Attempt = batch.Attempt + 1;
                kept.DueAt = retryAt;
                kept.LeasedUntil = DateTimeOffset.MinValue;
                kept.LastError = Truncate(reason);
            }
        }

        return Task.CompletedTask;
    }

    public Task DeadLetterAsync(ActivityOutboxBatch batch, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var queue = Get(batch.Destination);
        lock (queue)
        {
            if (queue.Batches.TryGetValue(batch.Id, out var kept) && !kept.Dead)
            {
                kept.Dead = true;
                kept.Attempt = batch.Attempt + 1;
                kept.LastError = Truncate(reason);
                kept.DeadLetteredAt = time.GetUtcNow();
                kept.LeasedUntil = DateTimeOffset.MinValue;
                queue.Pending -= kept.Events.Count; // dead letters do not hold the capacity
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Splits <paramref name="failed"/> off a claimed batch into a dead letter of their own (a new batch id, one
    /// attempt counted); the claimed batch keeps its id, its lease and the other events.
    /// </summary>
    /// <returns>The claimed batch with the remaining events, and the dead letter's id.</returns>
    public (ActivityOutboxBatch Remaining, Guid DeadLetterId) DeadLetterEvents(ActivityOutboxBatch batch, IReadOnlyList<ActivityLogEvent> failed, string reason)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(failed);
        var set = failed.ToHashSet(ReferenceEqualityComparer.Instance);
        List<ActivityLogEvent> rest = [.. batch.Events.Where(e => !set.Contains(e))];
        var now = time.GetUtcNow();
        var dead = new Batch(Guid.CreateVersion7(now), [.. failed], now)
        {
            Dead = true,
            Attempt = 1,
            LastError = Truncate(reason),
            DeadLetteredAt = now,
            LeasedUntil = DateTimeOffset.MinValue,
        };
        var queue = Get(batch.Destination);
        lock (queue)
        {
            if (queue.Batches.TryGetValue(batch.Id, out var kept) && !kept.Dead)
            {
                kept.Events = rest;
                queue.Batches.Add(dead.Id, dead);
                queue.Pending -= dead.Events.Count; // dead letters do not hold the capacity
            }
        }

        return (new ActivityOutboxBatch(batch.Id, batch.Destination, batch.Attempt, rest, batch.LeaseExpiresAt), dead.Id);
    }

    public Task<IReadOnlyList<ActivityOutboxDeadLetter>> ListDeadLettersAsync(string? destination, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var result = new List<ActivityOutboxDeadLetter>();
        foreach (var (name, queue) in _destinations)
        {
            if (destination is not null && name != destination)
            {
                continue;
            }

            lock (queue)
            {
                result.AddRange(queue.Batches.Values.Where(b => b.Dead).Select(b =>
                    new ActivityOutboxDeadLetter(b.Id, name, b.Events.Count, b.Attempt, b.LastError ?? "", b.CreatedAt, b.DeadLetteredAt)));
            }
        }

        return Task.FromResult<IReadOnlyList<ActivityOutboxDeadLetter>>([.. result.OrderBy(d => d.DeadLetteredAt).ThenBy(d => d.BatchId).Take(limit)]);
    }

    public Task<bool> RedeliverAsync(Guid batchId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        foreach (var (_, queue) in _destinations)
        {
            lock (queue)
            {
                if (queue.Batches.TryGetValue(batchId, out var batch) && batch.Dead)
                {
                    Revive(queue, batch, now);
                    return Task.FromResult(true);
                }
            }
        }

        return Task.FromResult(false);
    }

    public Task<long> CountPendingAsync(string destination, CancellationToken cancellationToken = default) => Task.FromResult(CountPending(destination));

    public long CountPending(string destination)
    {
        var queue = Get(destination);
        lock (queue)
        {
            return queue.Pending;
        }
    }

    /// <summary>Events waiting for every destination but <paramref name="excluded"/> (the shutdown count of tenant destinations).</summary>
    public long CountPendingExcept(IEnumerable<string> excluded)
    {
        var skip = excluded.ToHashSet(StringComparer.Ordinal);
        long pending = 0;
        foreach (var (name, queue) in _destinations)
        {
            if (!skip.Contains(name))
            {
                lock (queue)
                {
                    pending += queue.Pending;
                }
            }
        }

        return pending;
    }

    public Task<ActivityOutboxStatus> GetStatusAsync(string destination, CancellationToken cancellationToken = default)
    {
        var queue = Get(destination);
        lock (queue)
        {
            // Batches are older than what is still unbatched; an unbatched event was added when it was recorded.
            DateTimeOffset? oldest = null;
            long dead = 0;
            foreach (var batch in queue.Batches.Values)
            {
                if (batch.Dead)
                {
                    dead++;
                }
                else if (oldest is null || batch.CreatedAt < oldest)
                {
                    oldest = batch.CreatedAt;
                }
            }

            if (oldest is null && queue.Unbatched.TryPeek(out var first))
            {
                oldest = first.Timestamp;
            }

            return Task.FromResult(new ActivityOutboxStatus(queue.Pending, queue.Pending > 0 ? oldest : null, dead));
        }
    }

    /// <summary>When the earliest batch in retry becomes due, or <see langword="null"/> when none waits.</summary>
    public DateTimeOffset? NextDueAt(string destination)
    {
        var queue = Get(destination);
        lock (queue)
        {
            DateTimeOffset? next = null;
            foreach (var batch in queue.Batches.Values)
            {
                var at = batch.DueAt > batch.LeasedUntil ? batch.DueAt : batch.LeasedUntil;
                if (!batch.Dead && (next is null || at < next))
                {
                    next = at;
                }
            }

            return next;
        }
    }

    private static string Truncate(string reason) => reason.Length <= 2000 ? reason : reason[..2000];

    private Destination Get(string destination) => _destinations.GetOrAdd(destination, static _ => new Destination());

    private sealed class Destination
    {
        public Queue<ActivityLogEvent> Unbatched { get; } = new();

        // Insertion-ordered enough for a retry scan: Dictionary keeps insertion order while nothing is removed, and
        // the order only decides which of several due batches goes first.
        public Dictionary<Guid, Batch> Batches { get; } = [];

        private long _pending;

        /// <summary>Read without the lock by <see cref="ListDueAsync"/> to skip idle destinations; written under it.</summary>
        public long PendingHint;

        public long Pending
        {
            get => _pending;
            set
            {
                _pending = value;
                Volatile.Write(ref PendingHint, value);
            }
        }
    }

    private sealed class Batch(Guid id, IReadOnlyList<ActivityLogEvent> events, DateTimeOffset createdAt)
    {
        public Guid Id { get; } = id;

        public IReadOnlyList<ActivityLogEvent> Events { get; set; } = events; // shrinks when unserializable events are split off

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public int Attempt { get; set; }

        public DateTimeOffset DueAt { get; set; }

        public DateTimeOffset LeasedUntil { get; set; }

        public bool Dead { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset DeadLetteredAt { get; set; }
    }
}

using ActivityLog.Extensibility;

namespace ActivityLog.Delivery;

// What the one delivery engine asks of the outbox: the due list, recovering dead letters, discarding a destination's work.
internal sealed partial class InMemoryActivityOutbox
{
    public Task<ActivityOutboxDueList> ListDueAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        var now = time.GetUtcNow();
        DateTimeOffset? next = null;
        List<(DateTimeOffset Due, string Name)>? due = null;
        foreach (var (name, queue) in _destinations)
        {
            if (Volatile.Read(ref queue.PendingHint) == 0)
            {
                continue; // nothing waits: no lock taken for idle destinations
            }

            lock (queue)
            {
                var (dueAt, later) = DueState(queue, now);
                if (dueAt is { } at)
                {
                    (due ??= []).Add((at, name));
                }
                else if (later is { } l && (next is null || l < next))
                {
                    next = l;
                }
            }
        }

        if (due is null)
        {
            return Task.FromResult(next is null ? ActivityOutboxDueList.Empty : new ActivityOutboxDueList([], next));
        }

        due.Sort(static (a, b) => a.Due.CompareTo(b.Due));
        return Task.FromResult(new ActivityOutboxDueList([.. due.Take(limit).Select(d => d.Name)], next));
    }

    /// <summary>When the destination's work fell due (null when nothing is due or a batch is in flight), and when it next falls due.</summary>
    private static (DateTimeOffset? Due, DateTimeOffset? Later) DueState(Destination queue, DateTimeOffset now)
    {
        DateTimeOffset? due = null;
        DateTimeOffset? later = null;
        foreach (var batch in queue.Batches.Values)
        {
            if (batch.Dead)
            {
                continue;
            }

            if (batch.LeasedUntil > now)
            {
                return (null, batch.LeasedUntil); // one batch in flight per destination
            }

            if (batch.DueAt <= now)
            {
                due = due is null || batch.DueAt < due ? batch.DueAt : due;
            }
            else
            {
                later = later is null || batch.DueAt < later ? batch.DueAt : later;
            }
        }

        if (queue.Unbatched.TryPeek(out var first))
        {
            due = due is null || first.Timestamp < due ? first.Timestamp : due;
        }

        return (due, later);
    }

    public Task<int> RecoverAsync(string destination, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        var now = time.GetUtcNow();
        var queue = Get(destination);
        int recovered = 0;
        lock (queue)
        {
            foreach (var batch in queue.Batches.Values)
            {
                if (batch.Dead && batch.DeadLetteredAt >= since)
                {
                    Revive(queue, batch, now);
                    recovered++;
                }
            }
        }

        return Task.FromResult(recovered);
    }

    public Task<long> DiscardPendingAsync(string destination, bool includeDeadLetters = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        var queue = Get(destination);
        long discarded = 0;
        lock (queue)
        {
            discarded += queue.Unbatched.Count;
            queue.Unbatched.Clear();
            foreach (var (id, batch) in queue.Batches.ToList())
            {
                if (!batch.Dead || includeDeadLetters)
                {
                    discarded += batch.Events.Count;
                    queue.Batches.Remove(id);
                }
            }

            queue.Pending = 0;
        }

        return Task.FromResult(discarded);
    }

    private static void Revive(Destination queue, Batch batch, DateTimeOffset now)
    {
        batch.Dead = false;
        batch.Attempt = 0;
        batch.DueAt = now;
        batch.LeasedUntil = DateTimeOffset.MinValue;
        queue.Pending += batch.Events.Count;
    }
}

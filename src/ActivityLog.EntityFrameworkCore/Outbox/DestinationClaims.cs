using ActivityLog.Extensibility;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>
/// What this process's outbox holds for one destination: the batches it leased and has not yet reported on (handed
/// out, or formed ahead by a strategy and waiting here), and how many batches its next claim asks for.
/// </summary>
/// <remarks>
/// <para>
/// The leases this process holds are what tells "in flight here" from "in flight elsewhere": a claim refuses to hand
/// out or form a batch while the destination has a batch under a live lease that is not one of these (one batch in
/// flight per destination across processes), and <c>ListDueAsync</c> counts the batches waiting ahead as due work.
/// </para>
/// <para>
/// Ahead: 1 batch per claim while the outbox is idle, doubling (up to <c>MaxBatchesPerClaim</c>) while every claim comes
/// back full, so that a backlog shares each claim's round trips among many batches. A batch waiting ahead is handed out
/// only while at least half of its lease is left, so its worker has as long to deliver it as the lease allows;
/// otherwise it, and every batch behind it, is left to lapse and comes back to the next claim, anywhere, with the same
/// id. Thread-safe: one lock, never held across an await.
/// </para>
/// </remarks>
internal sealed class DestinationClaims
{
    private readonly Queue<ActivityOutboxBatch> _ahead = new();
    private readonly Dictionary<Guid, DateTimeOffset> _leased = [];
    private ActivityOutboxClaim? _claim;

    public int Depth { get; private set; } = 1;

    /// <summary>The next batch formed ahead under these limits, or <see langword="null"/>.</summary>
    public ActivityOutboxBatch? TryTake(ActivityOutboxClaim claim, DateTimeOffset now)
    {
        lock (_ahead)
        {
            // Formed under other limits (another caller's claim): not this claim's batches.
            if (!claim.Equals(_claim) || !_ahead.TryDequeue(out var batch))
            {
                return null;
            }

            if (batch.LeaseExpiresAt - now >= claim.Lease / 2)
            {
                return batch;
            }

            // Delivery is slower than the lease allows for batches that wait: let them lapse, claim one at a time.
            // They stay this process's leases until they lapse, so this process's next claim is not refused because of them.
            _ahead.Clear();
            Depth = 1;
            return null;
        }
    }

    /// <summary>Records a claim's outcome: the batch handed out and those formed ahead are this process's leases.</summary>
    public void Keep(ActivityOutboxClaim claim, int asked, ActivityOutboxBatch? claimed, IReadOnlyList<ActivityOutboxBatch> ahead)
    {
        lock (_ahead)
        {
            if (!claim.Equals(_claim))
            {
                // Batches formed under other limits are not handed out under these: they lapse and come back.
                _ahead.Clear();
                _claim = claim;
            }

            if (claimed is not null)
            {
                _leased[claimed.Id] = claimed.LeaseExpiresAt;
            }

            foreach (var batch in ahead)
            {
                _ahead.Enqueue(batch);
                _leased[batch.Id] = batch.LeaseExpiresAt;
            }

            bool full = claimed is not null && ahead.Count == asked - 1 && (ahead.Count > 0 ? ahead[^1] : claimed).Events.Count >= claim.MaxEvents;
            Depth = full ? Math.Min(asked * 2, EntityFrameworkOutboxLimits.MaxBatchesPerClaim) : 1;
        }
    }

    /// <summary>The batch was reported on (completed, retried, dead-lettered): no longer this process's lease.</summary>
    public void Release(Guid batchId)
    {
        lock (_ahead)
        {
            _leased.Remove(batchId);
        }
    }

    /// <summary>The ids of the batches this process holds under a live lease for the destination (expired ones are forgotten).</summary>
    public List<Guid> LiveLeases(DateTimeOffset now)
    {
        lock (_ahead)
        {
            var live = new List<Guid>(_leased.Count);
            List<Guid>? lapsed = null;
            foreach (var (id, expires) in _leased)
            {
                if (expires > now)
                {
                    live.Add(id);
                }
                else
                {
                    (lapsed ??= []).Add(id);
                }
            }

            foreach (var id in lapsed ?? [])
            {
                _leased.Remove(id);
            }

            return live;
        }
    }

    /// <summary>Adds the ids of the batches waiting ahead (handed out by the next claims) to <paramref name="ids"/>.</summary>
    public void AddAheadIds(List<Guid> ids)
    {
        lock (_ahead)
        {
            foreach (var batch in _ahead)
            {
                ids.Add(batch.Id);
            }
        }
    }

    /// <summary>Forgets everything (the destination's pending work was discarded): no stale batch is handed out.</summary>
    public void Clear()
    {
        lock (_ahead)
        {
            _ahead.Clear();
            _leased.Clear();
            Depth = 1;
        }
    }
}

/// <summary>Limits of the EF Core outbox's claims.</summary>
internal static class EntityFrameworkOutboxLimits
{
    /// <summary>The most batches a provider strategy forms in one claim while a backlog exists (doubling from 1).</summary>
    public const int MaxBatchesPerClaim = 16;

    /// <summary>
    /// The first key of the PostgreSQL advisory locks a claim takes per destination (<c>pg_advisory_xact_lock(key, hashtext(destination))</c>):
    /// "ALog" in ASCII, so that they do not share a key space with the host's own one-key advisory locks.
    /// </summary>
    public const int AdvisoryLockClass = 0x414C6F67;
}

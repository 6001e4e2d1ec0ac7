using ActivityLog.Extensibility;
namespace ActivityLog.Extensibility;

/// <summary>A batch claimed from an <see cref="IActivityOutbox"/>: the same id and events on every attempt.</summary>
public sealed class ActivityOutboxBatch
{
    /// <summary>Creates a batch (for outbox implementations).</summary>
    /// <param name="id">The batch id, stable across attempts.</param>
    /// <param name="destination">The destination.</param>
    /// <param name="attempt">The number of earlier failed attempts.</param>
    /// <param name="events">The events, oldest first.</param>
    /// <param name="leaseExpiresAt">When the lease of this claim runs out.</param>
    public ActivityOutboxBatch(Guid id, string destination, int attempt, IReadOnlyList<ActivityLogEvent> events, DateTimeOffset leaseExpiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        Id = id;
        Destination = destination;
        Attempt = attempt;
        Events = events;
        LeaseExpiresAt = leaseExpiresAt;
    }

    /// <summary>The batch id, stable across attempts (the webhooks package derives its <c>webhook-id</c> from it).</summary>
    public Guid Id { get; }

    /// <summary>The destination the batch is for.</summary>
    public string Destination { get; }

    /// <summary>The number of earlier failed attempts (0 on the first).</summary>
    public int Attempt { get; }

    /// <summary>The events, oldest first.</summary>
    public IReadOnlyList<ActivityLogEvent> Events { get; }

    /// <summary>When the lease of this claim runs out; finish (complete, retry later or dead-letter) before it.</summary>
    public DateTimeOffset LeaseExpiresAt { get; }
}

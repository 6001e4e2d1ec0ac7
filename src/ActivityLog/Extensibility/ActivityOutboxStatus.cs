namespace ActivityLog.Extensibility;

/// <summary>A destination's backlog in an <see cref="IActivityOutbox"/>, as the health check reads it.</summary>
/// <param name="Pending">Events waiting for the destination, batched or not, dead letters excluded (as <see cref="IActivityOutbox.CountPendingAsync"/>).</param>
/// <param name="OldestPendingAt">When the oldest of them was added, or <see langword="null"/> when none waits (or the outbox cannot tell).</param>
/// <param name="DeadLetters">Dead-lettered batches kept for the destination.</param>
public sealed record ActivityOutboxStatus(long Pending, DateTimeOffset? OldestPendingAt, long DeadLetters);

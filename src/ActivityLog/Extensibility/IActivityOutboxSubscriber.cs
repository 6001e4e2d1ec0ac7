using ActivityLog.Extensibility;
namespace ActivityLog.Extensibility;

/// <summary>
/// A destination that wants a durable copy of the events it accepts: a delivery package registers one per target (the
/// webhooks package, one per endpoint) as a singleton <see cref="IActivityOutboxSubscriber"/>. A store that implements
/// <see cref="IActivityOutbox"/> asks every subscriber about every event it writes, and writes an outbox delivery for each
/// subscriber that accepts it, in the same transaction as the event itself.
/// </summary>
/// <remarks>
/// Called on the store's write path for each event, after the pipeline (redacted and described): keep
/// <see cref="Accepts"/> cheap, pure and thread-safe.
/// </remarks>
public interface IActivityOutboxSubscriber
{
    /// <summary>
    /// The destination's stable name, such as <c>webhooks:audit-siem</c>: the key of its outbox deliveries and batches.
    /// At most 200 characters. Renaming a destination orphans its pending deliveries.
    /// </summary>
    string Destination { get; }

    /// <summary>Whether this destination wants the event.</summary>
    /// <param name="activity">A processed event.</param>
    /// <returns><see langword="true"/> to write an outbox delivery for it.</returns>
    bool Accepts(ActivityLogEvent activity);
}

namespace ActivityLog.Extensibility;

/// <summary>
/// Computes at run time which destinations want an event, for a delivery package whose destinations are data rather
/// than configuration (the webhooks package: every tenant subscription is a destination). A store that implements
/// <see cref="IActivityOutbox"/> asks every registered router (singletons) about every event it writes, beside the
/// static <see cref="IActivityOutboxSubscriber"/>s, and writes one outbox delivery per destination named, in the same
/// transaction as the event. Without a store, the core's in-memory outbox asks the same routers.
/// </summary>
/// <remarks>
/// Called on the write path for each processed (redacted, described) event: keep it cheap, thread-safe and free of
/// I/O (answer from memory, such as an index of subscriptions by account). Each destination name is 1 to 200
/// characters; a name added twice is written once.
/// </remarks>
public interface IActivityOutboxRouter
{
    /// <summary>Adds the destinations that want <paramref name="activity"/> to <paramref name="destinations"/>.</summary>
    /// <param name="activity">A processed event.</param>
    /// <param name="destinations">Where to add destination names; may already hold other routers' names.</param>
    void Route(ActivityLogEvent activity, ICollection<string> destinations);
}

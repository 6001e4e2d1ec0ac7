using ActivityLog.Extensibility;

namespace ActivityLog.Delivery;

/// <summary>
/// Without a store, the sink that puts processed events into the in-memory outbox for every destination that wants
/// them — asking the same <see cref="IActivityOutboxRouter"/>s and <see cref="IActivityOutboxSubscriber"/>s a store
/// asks in its transaction. With a store's outbox it does nothing: the store writes the deliveries with the events.
/// </summary>
/// <remarks>Never blocks on delivery: a slow destination fills only its own bounded queue; what does not fit is counted.</remarks>
internal sealed class InMemoryOutboxSink(
    ActivityOutboxSelector selector,
    IEnumerable<IActivityOutboxRouter> routers,
    IEnumerable<IActivityOutboxSubscriber> subscribers,
    IEnumerable<IActivityOutboxDropHandler> dropHandlers,
    ActivityOutboxSignal signal) : IActivitySink, IConditionalSink
{
    private readonly IActivityOutboxRouter[] _routers = [.. routers];
    private readonly IActivityOutboxSubscriber[] _subscribers = [.. subscribers];
    private readonly IActivityOutboxDropHandler[] _dropHandlers = [.. dropHandlers];

    /// <summary>Only without a store's outbox, and with someone to deliver to: beside a store the sink would count writes it never made.</summary>
    public bool IsNeeded => selector.Memory is not null && (_routers.Length > 0 || _subscribers.Length > 0);

    /// <summary>Set when the delivery side stopped: events that arrive later are counted as dropped (reason <c>stopped</c>).</summary>
    public bool Accepting { get; set; } = true;

    public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (selector.Memory is not { } memory || (_routers.Length == 0 && _subscribers.Length == 0))
        {
            return Task.CompletedTask;
        }

        // Grouped per destination so that each destination's events enter at once: a claim sees all of them or none.
        Dictionary<string, List<ActivityLogEvent>>? byDestination = null;
        var destinations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var activity in batch)
        {
            destinations.Clear();
            foreach (var router in _routers)
            {
                router.Route(activity, destinations);
            }

            foreach (var subscriber in _subscribers)
            {
                if (subscriber.Accepts(activity))
                {
                    destinations.Add(subscriber.Destination);
                }
            }

            foreach (string destination in destinations)
            {
                byDestination ??= new(StringComparer.Ordinal);
                if (!byDestination.TryGetValue(destination, out var list))
                {
                    byDestination[destination] = list = new List<ActivityLogEvent>(batch.Count);
                }

                list.Add(activity);
            }
        }

        if (byDestination is null)
        {
            return Task.CompletedTask;
        }

        bool added = false;
        foreach (var (destination, events) in byDestination)
        {
            int stored = Accepting ? memory.AddRange(destination, events) : 0;
            added |= stored > 0;
            if (stored < events.Count)
            {
                foreach (var handler in _dropHandlers)
                {
                    handler.Dropped(destination, events.Count - stored, Accepting ? "queue_full" : "stopped");
                }
            }
        }

        if (added)
        {
            signal.Notify();
        }

        return Task.CompletedTask;
    }
}

using ActivityLog.Extensibility;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Delivery;

/// <summary>
/// The one outbox of the process, chosen once: a store's <see cref="IActivityOutbox"/> when one is registered (durable:
/// deliveries are written with their events), else the core's <see cref="InMemoryActivityOutbox"/>, fed by
/// <see cref="InMemoryOutboxSink"/> (best effort across crashes, drained on a graceful stop). Every delivery package
/// reads and writes through it, so there is one delivery path whichever outbox holds the work.
/// </summary>
internal sealed class ActivityOutboxSelector
{
    private readonly Lazy<(IActivityOutbox Outbox, InMemoryActivityOutbox? Memory)> _chosen;

    public ActivityOutboxSelector(IServiceProvider services, TimeProvider time, int inMemoryCapacity)
    {
        // Resolved on first use, not here: a store's outbox may depend on services that depend on the sinks.
        _chosen = new(() =>
        {
            var store = services.GetServices<IActivityOutbox>().LastOrDefault();
            if (store is not null)
            {
                return (store, null);
            }

            var memory = new InMemoryActivityOutbox(time, inMemoryCapacity);
            return (memory, memory);
        });
    }

    public IActivityOutbox Outbox => _chosen.Value.Outbox;

    /// <summary>The in-memory outbox, or <see langword="null"/> when a store's outbox holds the work.</summary>
    public InMemoryActivityOutbox? Memory => _chosen.Value.Memory;
}

/// <summary>Told by the in-memory path when events for a destination could not be kept, so the delivery package can count and log them by its own names.</summary>
internal interface IActivityOutboxDropHandler
{
    void Dropped(string destination, long count, string reason);
}

using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Delivery;

namespace ActivityLog.Webhooks;

/// <summary>
/// Routes processed events to the endpoints whose filter accepts them, when no store provides an outbox: each event
/// goes into the in-memory outbox of each accepting endpoint and the workers are woken. With a store, it does
/// nothing: the store writes the outbox deliveries in the events' own transaction.
/// </summary>
/// <remarks>Never blocks on HTTP: a slow endpoint fills only its own bounded queue.</remarks>
internal sealed class WebhookActivitySink(WebhookDeliveryService service, ActivityOutboxSignal signal) : IActivitySink
{
    public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (service.Memory is not { } memory || service.Active.Length == 0)
        {
            return Task.CompletedTask;
        }

        bool added = false;
        List<ActivityLogEvent>? accepted = null; // one list per batch, and none when no endpoint accepts any event
        foreach (var endpoint in service.Active)
        {
            accepted?.Clear();
            foreach (var activity in batch)
            {
                if (endpoint.Filter.Accepts(activity.Name))
                {
                    (accepted ??= new List<ActivityLogEvent>(batch.Count)).Add(activity);
                }
            }

            if (accepted is not { Count: > 0 })
            {
                continue;
            }

            // All of the batch at once: a worker claiming meanwhile sees all of it or none.
            int stored = service.Accepting ? memory.AddRange(endpoint.Destination, accepted) : 0;
            added |= stored > 0;
            if (stored < accepted.Count)
            {
                service.CountDropped(endpoint, accepted.Count - stored, service.Accepting ? "queue_full" : "stopped");
            }
        }

        if (added)
        {
            signal.Notify();
        }

        return Task.CompletedTask;
    }
}

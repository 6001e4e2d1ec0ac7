using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>
/// The write side of the outbox, shared by the store's write paths (queued sink, bulk writers, transactional
/// recording and change capture): asks every registered <see cref="IActivityOutboxSubscriber"/> and every
/// <see cref="IActivityOutboxRouter"/> about each event and builds the delivery rows (one per distinct destination)
/// that go into the same transaction as the events. With neither registered it builds nothing and costs one field
/// read per batch.
/// </summary>
/// <remarks>
/// Thread-safe: the subscriber and router lists are fixed at construction, <c>Accepts</c> is pure and <c>Route</c>
/// thread-safe by contract; the scratch list routers fill lives for one <see cref="Plan"/> call.
/// </remarks>
internal sealed class OutboxWriter
{
    private readonly IActivityOutboxSubscriber[] _subscribers;
    private readonly IActivityOutboxRouter[] _routers;
    private readonly ActivityOutboxSignal _signal;
    private readonly TimeProvider _time;

    public OutboxWriter(
        IEnumerable<IActivityOutboxSubscriber> subscribers, IEnumerable<IActivityOutboxRouter> routers, ActivityOutboxSignal signal, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(subscribers);
        ArgumentNullException.ThrowIfNull(routers);
        _subscribers = [.. subscribers];
        _routers = [.. routers];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var subscriber in _subscribers)
        {
            string destination = subscriber.Destination;
            if (string.IsNullOrEmpty(destination) || destination.Length > OutboxBatchRow.MaxDestinationLength)
            {
                throw new InvalidOperationException(
                    $"The outbox subscriber {subscriber.GetType().Name} has a destination name of {destination?.Length ?? 0} characters: it needs 1 to {OutboxBatchRow.MaxDestinationLength}.");
            }

            if (!names.Add(destination))
            {
                throw new InvalidOperationException($"Two outbox subscribers share the destination name '{destination}': each destination needs its own name.");
            }
        }

        _signal = signal;
        _time = time;
    }

    /// <summary>
    /// Whether any subscriber or router is registered (deliveries are configured); when not, no write path looks at the
    /// outbox at all.
    /// </summary>
    public bool HasSubscribers => _subscribers.Length > 0 || _routers.Length > 0;

    /// <summary>
    /// The deliveries of each event (aligned with <paramref name="events"/>; <see langword="null"/> where no destination
    /// wants it), or <see langword="null"/> when no event has any.
    /// </summary>
    /// <exception cref="InvalidOperationException">A router named a destination of 0 or more than 200 characters.</exception>
    public List<OutboxDeliveryRow>?[]? Plan(IReadOnlyList<ActivityLogEvent> events)
    {
        if (!HasSubscribers)
        {
            return null;
        }

        List<OutboxDeliveryRow>?[]? plan = null;
        DateTime now = Now();
        var scratch = _routers.Length > 0 ? new Routing() : null;
        for (int i = 0; i < events.Count; i++)
        {
            if (DeliveriesFor(events[i], now, scratch) is { } deliveries)
            {
                (plan ??= new List<OutboxDeliveryRow>?[events.Count])[i] = deliveries;
            }
        }

        return plan;
    }

    /// <summary>The deliveries for one event, or <see langword="null"/> when no destination wants it.</summary>
    /// <exception cref="InvalidOperationException">A router named a destination of 0 or more than 200 characters.</exception>
    public List<OutboxDeliveryRow>? DeliveriesFor(ActivityLogEvent activityEvent) =>
        !HasSubscribers ? null : DeliveriesFor(activityEvent, Now(), _routers.Length > 0 ? new Routing() : null);

    /// <summary>Wakes this process's delivery workers: call after a transaction with deliveries committed.</summary>
    public void Notify() => _signal.Notify();

    /// <summary>Whether the model maps the outbox (models built before it existed, or by hand, may not).</summary>
    public static bool IsMapped(IModel model) => model.FindEntityType(typeof(OutboxDeliveryRow)) is not null;

    /// <summary>Throws a message that says what to do when deliveries must be written into a model without the outbox.</summary>
    public static void EnsureMapped(DbContext context)
    {
        if (!IsMapped(context.Model))
        {
            throw new InvalidOperationException(
                $"Deliveries are configured (a delivery package such as webhooks, or outbox subscribers), but the model of {context.GetType().Name} has no outbox tables: " +
                "call modelBuilder.AddActivityLog() in its OnModelCreating (it maps them when the context comes from the service provider " +
                "where AddEntityFrameworkStore and the delivery package were added; a context built by hand or by an IDesignTimeDbContextFactory " +
                "needs AddActivityLog(o => o.MapOutbox = true)) and add a migration.");
        }
    }

    private List<OutboxDeliveryRow>? DeliveriesFor(ActivityLogEvent activityEvent, DateTime now, Routing? routing)
    {
        List<OutboxDeliveryRow>? deliveries = null;
        foreach (var subscriber in _subscribers)
        {
            if (subscriber.Accepts(activityEvent))
            {
                (deliveries ??= []).Add(new OutboxDeliveryRow { Destination = subscriber.Destination, EventId = activityEvent.Id, CreatedAt = now });
            }
        }

        if (routing is null)
        {
            return deliveries;
        }

        var names = routing.Names;
        names.Clear();
        foreach (var router in _routers)
        {
            int before = names.Count;
            router.Route(activityEvent, names);
            for (int i = before; i < names.Count; i++)
            {
                string? name = names[i];
                if (string.IsNullOrEmpty(name) || name.Length > OutboxBatchRow.MaxDestinationLength)
                {
                    throw new InvalidOperationException(
                        $"The outbox router {router.GetType().FullName} named a destination of {name?.Length ?? 0} characters: each needs 1 to {OutboxBatchRow.MaxDestinationLength}.");
                }
            }
        }

        if (names.Count == 0)
        {
            return deliveries;
        }

        // One delivery per distinct destination: a name routed twice, or routed and subscribed, is written once (the
        // unique index on event and destination would refuse the second).
        var seen = routing.Seen;
        seen.Clear();
        if (deliveries is not null)
        {
            foreach (var delivery in deliveries)
            {
                seen.Add(delivery.Destination);
            }
        }

        foreach (string name in names)
        {
            if (seen.Add(name))
            {
                (deliveries ??= []).Add(new OutboxDeliveryRow { Destination = name, EventId = activityEvent.Id, CreatedAt = now });
            }
        }

        return deliveries;
    }

    /// <summary>What the routers fill for one event after another: one instance per <see cref="Plan"/> call, reused for each event.</summary>
    private sealed class Routing
    {
        public List<string> Names { get; } = [];

        public HashSet<string> Seen { get; } = new(StringComparer.Ordinal);
    }

    private DateTime Now() => OutboxTime.Truncate(_time.GetUtcNow());
}

/// <summary>Times as the outbox stores them: UTC, to the microsecond, which every provider keeps exactly.</summary>
internal static class OutboxTime
{
    public static DateTime Truncate(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMicrosecond), DateTimeKind.Utc);
    }

    public static DateTimeOffset Read(DateTime stored) => new(DateTime.SpecifyKind(stored, DateTimeKind.Utc));
}

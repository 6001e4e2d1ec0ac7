using ActivityLog.Extensibility;

namespace ActivityLog.Tests.Support;

/// <summary>
/// A sink that fails while <see cref="Failing"/> is set (with a message that quotes a value, as a careless driver
/// would) and keeps events otherwise; <see cref="Rejecting"/> rejects every event for good instead.
/// </summary>
internal sealed class SwitchableSink(string? name = null) : IActivitySink, INamedSink
{
    public const string SecretInMessage = "password=hunter2";

    private readonly Lock _gate = new();
    private readonly List<ActivityLogEvent> _events = [];

    public volatile bool Failing;

    /// <summary>The sink's name in metrics, logs and spans: unique per test, so tests running at once never see each other's.</summary>
    public string Name { get; } = name ?? "switchable-" + Guid.NewGuid().ToString("N");

    public volatile bool Rejecting;

    public IReadOnlyList<ActivityLogEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        if (Failing)
        {
            throw new InvalidOperationException($"The store is down (simulated), connection {SecretInMessage}.");
        }

        if (Rejecting)
        {
            throw new ActivityLogEventRejectedException(batch[0].Id, "The store cannot hold this event (simulated).");
        }

        lock (_gate)
        {
            _events.AddRange(batch);
        }

        return Task.CompletedTask;
    }
}

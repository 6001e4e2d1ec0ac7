namespace ActivityLog.Extensibility;

/// <summary>
/// Where events go that a sink rejected for good (<see cref="ActivityLogEventRejectedException"/>): kept with the sink's
/// name and the reason, so an operator can list and inspect them, instead of being lost with their batch. The default
/// keeps the most recent <see cref="ActivityLogOptions.QuarantineCapacity"/> entries in memory; replace it with
/// <c>services.AddSingleton&lt;IActivityQuarantine, MyQuarantine&gt;()</c> to keep them elsewhere.
/// </summary>
/// <remarks>
/// Every entry is also counted (<c>activitylog.events.quarantined</c>, tagged with the sink) and logged without its
/// values. The events are the processed ones: redacted and described, so nothing here is more sensitive than what the
/// sinks see. Implementations are thread-safe singletons.
/// </remarks>
public interface IActivityQuarantine
{
    /// <summary>Keeps an entry.</summary>
    /// <param name="entry">The rejected event, the sink and the reason.</param>
    /// <param name="cancellationToken">Cancelled on shutdown.</param>
    /// <returns>A task that completes when the entry is kept.</returns>
    ValueTask AddAsync(ActivityQuarantineEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Lists the entries kept, oldest first.</summary>
    /// <param name="limit">The most to return (1 to 10,000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries.</returns>
    ValueTask<IReadOnlyList<ActivityQuarantineEntry>> ListAsync(int limit = 100, CancellationToken cancellationToken = default);
}

/// <summary>An event that a sink rejected for good, with why.</summary>
/// <param name="Event">The event as the sink received it (processed: redacted and described).</param>
/// <param name="Sink">The sink's name, as in the metrics' <c>sink</c> tag.</param>
/// <param name="Reason">Why the sink rejected it (the <see cref="ActivityLogEventRejectedException"/>'s message); never a value.</param>
/// <param name="QuarantinedAt">When it was quarantined.</param>
public sealed record ActivityQuarantineEntry(ActivityLogEvent Event, string Sink, string Reason, DateTimeOffset QuarantinedAt);

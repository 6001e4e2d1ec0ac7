using ActivityLog.Extensibility;

namespace ActivityLog;

/// <summary>
/// The background dispatcher of the queued path: drains the queue in batches through the pipeline into every sink.
/// Hosted as an <see cref="Microsoft.Extensions.Hosting.IHostedService"/>; inject this to flush or observe it.
/// </summary>
public interface IActivityDispatcher
{
    /// <summary>Events waiting in the queue.</summary>
    int QueueDepth { get; }

    /// <summary>
    /// Events lost since start, for every reason (full queue, stopped, a sink's full queue, a sink gave up, shutdown
    /// timeout, a full quarantine), counted once per sink that lost them. Also the <c>activitylog.events.dropped</c> metric.
    /// </summary>
    long DroppedCount { get; }

    /// <summary>
    /// Events a sink rejected for good (<see cref="ActivityLogEventRejectedException"/>) and that went to the
    /// <see cref="IActivityQuarantine"/> instead, since start, once per sink. Also the <c>activitylog.events.quarantined</c> metric.
    /// </summary>
    long QuarantinedCount { get; }

    /// <summary>
    /// Completes when every event recorded before the call has been through the pipeline and every sink (or has been
    /// counted as dropped). Deterministic: no polling, no sleeps; it cuts the batch delay short.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the flush itself still happens).</param>
    /// <returns>A task that completes after the flush.</returns>
    /// <exception cref="InvalidOperationException">The dispatcher is not running (the host was not started or has stopped).</exception>
    Task FlushAsync(CancellationToken cancellationToken = default);
}

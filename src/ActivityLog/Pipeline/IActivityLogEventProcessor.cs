namespace ActivityLog;

/// <summary>
/// The pipeline's steps, run exactly once per event before any sink sees it: gate, id, correlation, value
/// normalization, redaction, description. The queued path calls it from the dispatcher; a store that records
/// inside the host's transaction calls it inline.
/// </summary>
internal interface IActivityLogEventProcessor
{
    /// <summary>Processes events in place and removes those whose account is not enabled.</summary>
    /// <param name="events">The events; on return, only the ones to record, processed.</param>
    /// <param name="cancellationToken">Cancelled on shutdown.</param>
    /// <returns>A task that completes when every event is processed.</returns>
    ValueTask ProcessAsync(IList<ActivityLogEvent> events, CancellationToken cancellationToken);
}

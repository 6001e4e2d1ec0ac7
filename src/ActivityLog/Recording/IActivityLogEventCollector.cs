namespace ActivityLog;

/// <summary>
/// Receives the events recorded inside an <see cref="ActivityScope.BeginCollecting(IActivityLogEventCollector)"/> scope
/// instead of the queue: a store's unit of work implements it to write events in the host's own transaction.
/// </summary>
/// <remarks>
/// Events arrive validated, with their time, actor, account and context stamped, but not yet processed: the collector
/// runs them through <see cref="IActivityLogEventProcessor"/> (gate, id, redaction, description) before storing them.
/// <see cref="Collect"/> runs on the caller's thread inside <c>Record</c>, so it must be cheap and must not throw
/// for sink reasons.
/// </remarks>
internal interface IActivityLogEventCollector
{
    /// <summary>Takes one recorded event.</summary>
    /// <param name="activityEvent">The event.</param>
    void Collect(ActivityLogEvent activityEvent);
}

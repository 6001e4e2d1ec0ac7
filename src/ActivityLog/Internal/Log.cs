using ActivityLog.Extensibility;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Internal;

/// <summary>The core's log messages, source-generated. Values of events never appear in them, only counts and names.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Warning, "ActivityLog dropped {Count} event(s) ({Reason}); {Total} dropped since start. See the activitylog.events.dropped metric.")]
    public static partial void EventsDropped(ILogger logger, long count, string reason, long total);

    [LoggerMessage(1002, LogLevel.Warning, "ActivityLog sink {Sink} failed to write a batch of {Count} event(s) (attempt {Attempt}); retrying in {Delay}.")]
    public static partial void SinkRetrying(ILogger logger, Exception exception, string sink, int count, int attempt, TimeSpan delay);

    [LoggerMessage(1003, LogLevel.Error, "ActivityLog sink {Sink} gave up on a batch of {Count} event(s) after {Attempts} attempt(s); the events are counted as dropped.")]
    public static partial void SinkGaveUp(ILogger logger, Exception? exception, string sink, int count, int attempts);

    [LoggerMessage(1004, LogLevel.Error, "ActivityLog gate failed for an account; its {Count} event(s) in this batch are kept.")]
    public static partial void GateFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(1005, LogLevel.Error, "ActivityLog could not redact an event of type {EventName}; its changes, context and metadata were replaced by the mask.")]
    public static partial void RedactionFailed(ILogger logger, string eventName);

    [LoggerMessage(1007, LogLevel.Error, "ActivityLog failed to process a batch; its events are counted as dropped and the dispatcher goes on.")]
    public static partial void DispatcherFailed(ILogger logger, Exception exception);

    [LoggerMessage(1008, LogLevel.Error, "ActivityLog sink {Sink} rejected event {EventId} ({EventName}) for good: {Reason}. The event is in the quarantine (IActivityQuarantine).")]
    public static partial void Quarantined(ILogger logger, string sink, Guid eventId, string eventName, string reason);

    [LoggerMessage(1009, LogLevel.Error, "ActivityLog could not quarantine event {EventId} rejected by sink {Sink}; it is counted as dropped (quarantine_failed).")]
    public static partial void QuarantineFailed(ILogger logger, Exception exception, Guid eventId, string sink);

    [LoggerMessage(1010, LogLevel.Warning, "ActivityLog quarantine is full ({Capacity} entries): the oldest entry, event {EventId} of sink {Sink}, was dropped (quarantine_full).")]
    public static partial void QuarantineFull(ILogger logger, Guid eventId, string sink, int capacity);

    [LoggerMessage(1011, LogLevel.Warning, "ActivityLog repaired {Count} value(s) of an event of type {EventName} that did not come through Record (NUL or lone surrogate replaced, non-finite number named, or a value cut to the limits).")]
    public static partial void ValuesRepaired(ILogger logger, string eventName, int count);

    [LoggerMessage(1012, LogLevel.Error, "ActivityLog could not process event {EventId} ({EventName}); it is counted as dropped (pipeline_failed) and the rest of its batch goes on.")]
    public static partial void EventProcessingFailed(ILogger logger, Exception exception, Guid eventId, string eventName);

    [LoggerMessage(13, LogLevel.Warning, "ActivityLog dropped {Count} event(s) without an account, such as {EventName} by a {ActorType} actor: this host requires an account on every event (ActivityLog:MissingAccount). Pass accountId to Record, make sure the request names the account (its claim, route value or header), or set MissingAccount to Allow.")]
    public static partial void MissingAccountDropped(ILogger logger, int count, string eventName, string actorType);
}

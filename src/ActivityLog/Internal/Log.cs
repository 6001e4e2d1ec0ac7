using Microsoft.Extensions.Logging;

namespace ActivityLog.Internal;

/// <summary>The core's log messages, source-generated. Values of events never appear in them, only counts and names.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "ActivityLog dropped {Count} event(s) ({Reason}); {Total} dropped since start. See the activitylog.events.dropped metric.")]
    public static partial void EventsDropped(ILogger logger, long count, string reason, long total);

    [LoggerMessage(2, LogLevel.Warning, "ActivityLog sink {Sink} failed to write a batch of {Count} event(s) (attempt {Attempt}); retrying in {Delay}.")]
    public static partial void SinkRetrying(ILogger logger, Exception exception, string sink, int count, int attempt, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Error, "ActivityLog sink {Sink} gave up on a batch of {Count} event(s) after {Attempts} attempt(s); the events are counted as dropped.")]
    public static partial void SinkGaveUp(ILogger logger, Exception? exception, string sink, int count, int attempts);

    [LoggerMessage(4, LogLevel.Error, "ActivityLog gate failed for an account; its {Count} event(s) in this batch are kept.")]
    public static partial void GateFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(5, LogLevel.Error, "ActivityLog could not redact an event of type {EventName}; its changes, context and metadata were replaced by the mask.")]
    public static partial void RedactionFailed(ILogger logger, string eventName);

    [LoggerMessage(7, LogLevel.Error, "ActivityLog failed to process a batch; its events are counted as dropped and the dispatcher goes on.")]
    public static partial void DispatcherFailed(ILogger logger, Exception exception);
}

using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>The log messages of transactional recording and change capture. None of them quotes a recorded value.</summary>
internal static partial class ChangeCaptureLog
{
    [LoggerMessage(EventId = 2400, Level = LogLevel.Warning,
        Message = "{Count} activity events recorded in a unit of work on {ContextType} were discarded because no SaveChanges stored them before the unit of work ended: {EventNames}.")]
    public static partial void UnsavedEventsDiscarded(ILogger logger, int count, string contextType, string eventNames);

    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning,
        Message = "The activity event {EventName} was recorded after its unit of work on {ContextType} ended and was discarded; record inside the using block of RecordActivities().")]
    public static partial void RecordedAfterUnitOfWork(ILogger logger, string eventName, string contextType);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Error,
        Message = "The activity events of a SaveChanges on {ContextType} could not be recorded; the save goes on without them (ActivityChangeCaptureOptions.OnFailure is LogAndContinue).")]
    public static partial void CaptureFailedAndSkipped(ILogger logger, Exception exception, string contextType);

    [LoggerMessage(EventId = 2403, Level = LogLevel.Warning,
        Message = "{Count} activity events of a SaveChanges on {ContextType} were not written: the save committed no transaction, so no statement ran (was it suppressed by another interceptor?).")]
    public static partial void DeferredEventsNotWritten(ILogger logger, int count, string contextType);
}

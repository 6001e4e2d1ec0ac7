using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Retention;

/// <summary>The retention job's log messages, source-generated (event ids 2300–2399).</summary>
internal static partial class RetentionLog
{
    [LoggerMessage(2300, LogLevel.Information, "ActivityLog retention deleted {Count} event(s) older than {Cutoff:O}.")]
    public static partial void Deleted(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(2301, LogLevel.Error, "ActivityLog retention failed to delete events older than {Cutoff:O}; it tries again in {Interval}.")]
    public static partial void Failed(ILogger logger, Exception exception, DateTimeOffset cutoff, TimeSpan interval);

    [LoggerMessage(2302, LogLevel.Debug, "ActivityLog retention runs every {Interval} and keeps events for {Period}.")]
    public static partial void Started(ILogger logger, TimeSpan interval, TimeSpan period);
}

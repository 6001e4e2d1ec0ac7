using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Storage;

/// <summary>The store sink's log messages, source-generated. Counts only, never values of events.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(2101, LogLevel.Information, "ActivityLog store skipped {Skipped} of {Count} event(s) already stored: a retried batch whose earlier attempt had written them.")]
    public static partial void SkippedStoredEvents(ILogger logger, int skipped, int count);
}

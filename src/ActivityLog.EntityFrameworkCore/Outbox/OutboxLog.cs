using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>The outbox's log messages, source-generated. Ids and counts only, never event values or reasons.</summary>
internal static partial class OutboxLog
{
    [LoggerMessage(2601, LogLevel.Debug, "ActivityLog outbox: claimed batch {BatchId} for {Destination} with {Count} event(s), attempt {Attempt}.")]
    public static partial void Claimed(ILogger logger, Guid batchId, string destination, int count, int attempt);

    [LoggerMessage(2602, LogLevel.Warning, "ActivityLog outbox: batch {BatchId} for {Destination} was not changed ({Operation}): its lease had run out and another claim holds it, or it is gone.")]
    public static partial void LeaseLost(ILogger logger, Guid batchId, string destination, string operation);

    [LoggerMessage(2603, LogLevel.Warning, "ActivityLog outbox: batch {BatchId} for {Destination} was dead-lettered after {Attempts} attempt(s).")]
    public static partial void DeadLettered(ILogger logger, Guid batchId, string destination, int attempts);
}

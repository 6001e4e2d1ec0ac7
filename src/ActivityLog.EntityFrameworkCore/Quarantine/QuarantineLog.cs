using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Quarantine;

/// <summary>The quarantine table's log messages, source-generated (event ids 2700–2799). Ids only, never values or reasons.</summary>
internal static partial class QuarantineLog
{
    [LoggerMessage(2701, LogLevel.Debug, "ActivityLog quarantine: event {EventId} rejected by {Sink} is in the quarantine table already; the retried add changed nothing.")]
    public static partial void AlreadyQuarantined(ILogger logger, Guid eventId, string sink);

    [LoggerMessage(2702, LogLevel.Warning, "ActivityLog quarantine: event {EventId} rejected by {Sink} held values JSON cannot carry (non-finite numbers); they are kept as strings in the quarantine table.")]
    public static partial void Repaired(ILogger logger, Guid eventId, string sink);
}

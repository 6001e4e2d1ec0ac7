using Microsoft.Extensions.Logging;

namespace ActivityLog.Redaction;

/// <summary>The redactor's log messages. They carry keys and exception types only: never values or exception messages.</summary>
internal static partial class RedactionLog
{
    [LoggerMessage(1100, LogLevel.Warning, "An ActivityLog sensitive value rewriter threw {ExceptionType} for the key '{Key}'; the value was replaced by the mask.")]
    public static partial void RewriterFailed(ILogger logger, string exceptionType, string key);

    [LoggerMessage(101, LogLevel.Warning, "An ActivityLog value of type {Type} was written as the mask whole: reflection-based serialization is off (a trimmed or native AOT app), so its members cannot be inspected. Register the type with ConfigureRedaction(r => r.AddSensitiveProperties<T>()) to keep its other members. Logged once per type; see the activitylog.values.masked_whole metric.")]
    public static partial void MaskedWhole(ILogger logger, string type);
}

using Microsoft.Extensions.Logging;

namespace ActivityLog.Redaction;

/// <summary>The redactor's log messages. They carry keys and exception types only: never values or exception messages.</summary>
internal static partial class RedactionLog
{
    [LoggerMessage(1100, LogLevel.Warning, "An ActivityLog sensitive value rewriter threw {ExceptionType} for the key '{Key}'; the value was replaced by the mask.")]
    public static partial void RewriterFailed(ILogger logger, string exceptionType, string key);
}

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ActivityLog.AspNetCore.Internal;

/// <summary>The package's log messages, source-generated. Account ids and event values never appear in them.</summary>
internal static partial class AspNetCoreLog
{
    [LoggerMessage(5100, LogLevel.Warning, "ActivityLog refused {Path}: the signed-in caller belongs to no account (see ActivityLogHttpOptions' account settings).")]
    public static partial void NoAccount(ILogger logger, PathString path);

    [LoggerMessage(5101, LogLevel.Information, "ActivityLog exported {Rows} event(s) as {Format}.")]
    public static partial void Exported(ILogger logger, long rows, string format);

    [LoggerMessage(5102, LogLevel.Warning, "ActivityLog refused a form post to {Path}: its antiforgery token is missing or invalid; nothing was changed.")]
    public static partial void AntiforgeryRefused(ILogger logger, PathString path);
}

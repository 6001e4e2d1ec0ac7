using ActivityLog.AspNetCore.Context;
using ActivityLog.AspNetCore.Internal;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActivityLog.AspNetCore.Endpoints;

/// <summary>
/// The caller's account, for every route of the package (the Activity Log page and Settings → Webhooks): read from the
/// caller's identity by the same resolver as recording, never from the query string or a form. One rule, one place.
/// </summary>
internal static class CallerAccount
{
    /// <summary>
    /// The account, or <see langword="null"/> after answering: a challenge (401 or the sign-in redirect) to an anonymous
    /// caller, 403 to a signed-in caller without an account. Also sets <c>nosniff</c> and <c>Cache-Control: no-store</c>.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="html">Answer a refusal as a small HTML page (else a problem response).</param>
    /// <param name="mapMethod">The map method, for the configuration error message.</param>
    /// <param name="nothingToShow">The end of the HTML refusal, such as "there is no activity log to show".</param>
    public static async Task<string?> RequireAsync(HttpContext context, bool html, string mapMethod, string nothingToShow)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        if (context.User.Identity?.IsAuthenticated != true)
        {
            await context.ChallengeAsync().ConfigureAwait(false);
            return null;
        }

        var reader = context.RequestServices.GetService<ActivityHttpContextReader>() ?? throw new InvalidOperationException(
            $"{mapMethod} needs AddAspNetCore(): call services.AddActivityLog().AddAspNetCore(…) when configuring services.");
        string? account = reader.ReadAccount(context);
        if (account is not null)
        {
            return account;
        }

        AspNetCoreLog.NoAccount(Logger(context), context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        if (html)
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Forbidden</title></head><body>" +
                $"<p id=\"activity-log-forbidden\">Your sign-in belongs to no account, so {nothingToShow}.</p></body></html>\n",
                context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            await TypedResults.Problem(
                detail: "The caller belongs to no account.",
                statusCode: StatusCodes.Status403Forbidden,
                title: "Forbidden").ExecuteAsync(context).ConfigureAwait(false);
        }

        return null;
    }

    public static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ActivityLog.AspNetCore");
}

using ActivityLog.AspNetCore.Context;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds ActivityLog's request middleware.</summary>
public static class ActivityLogApplicationBuilderExtensions
{
    /// <summary>
    /// Opens an ActivityLog scope for every request, so that <c>recorder.Record(…)</c> in a controller, a minimal API
    /// handler or a service it calls gets the request's actor (from the <see cref="System.Security.Claims.ClaimsPrincipal"/>;
    /// unauthenticated callers are the unknown actor, "Someone"), account and context (client IP, user agent, auth method,
    /// and the trace id as correlation id) without passing them. Values the app passes to <c>Record</c> win.
    /// </summary>
    /// <remarks>
    /// Place it after <c>UseAuthentication()</c> (it reads the signed-in user) and after <c>UseForwardedHeaders()</c> when
    /// the app runs behind a proxy (it reads the client IP that middleware restores). With the minimal hosting model,
    /// call <c>UseAuthentication()</c> explicitly before it. Cost: a few claim look-ups and one small allocation per request.
    /// </remarks>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddActivityLog().AddAspNetCore()</c> was not called.</exception>
    public static IApplicationBuilder UseActivityLog(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var reader = app.ApplicationServices.GetService<ActivityHttpContextReader>() ?? throw new InvalidOperationException(
            "UseActivityLog needs AddAspNetCore(): call services.AddActivityLog().AddAspNetCore(…) when configuring services.");
        return app.Use((RequestDelegate next) => new ActivityLogMiddleware(next, reader).InvokeAsync);
    }
}

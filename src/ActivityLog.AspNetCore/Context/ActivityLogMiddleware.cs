using Microsoft.AspNetCore.Http;

namespace ActivityLog.AspNetCore.Context;

/// <summary>
/// Opens an <see cref="ActivityScope"/> with the request's actor, account and context around the rest of the pipeline,
/// so that <c>Record(…)</c> anywhere in the request picks them up.
/// </summary>
internal sealed class ActivityLogMiddleware(RequestDelegate next, ActivityHttpContextReader reader)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // Not disposed on purpose: the scope lives in an AsyncLocal set inside this async method, and an async method's
        // AsyncLocal changes never flow back to its caller, so the runtime already restores the previous scope when
        // this method returns. Dispose would only write the AsyncLocal once more (a new ExecutionContext per request).
        // The reader cuts and repairs every value to the rules Begin would check again (claims and headers are the
        // caller's input, so it never throws): the trusted begin skips that second pass.
        var (actor, account, requestContext) = reader.ReadScope(context);
        _ = ActivityScope.BeginTrusted(actor, account, requestContext);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            // Built now if nothing recorded, so that work the request left running still records this request's
            // context; the HttpContext is not read after this (the server reuses it for the next request).
            requestContext.Seal();
        }
    }
}

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
        using var scope = ActivityScope.Begin(reader.ReadActor(context.User), reader.ReadAccount(context), reader.ReadContext(context));
        await next(context).ConfigureAwait(false);
    }
}

using Microsoft.AspNetCore.Http;

namespace ActivityLog.AspNetCore.Context;

/// <summary>
/// The request context of one request, read from its <see cref="HttpContext"/> at the first <c>Record</c>; the middleware
/// seals it when the request ends, before the server pools the <see cref="HttpContext"/> for another request.
/// </summary>
internal sealed class HttpRequestContextSource(ActivityHttpContextReader reader, HttpContext context, string? authMethod) : DeferredRequestContext
{
    private HttpContext? _context = context;

    protected override ActivityRequestContext Build() =>
        reader.ReadContext(Volatile.Read(ref _context) ?? throw new InvalidOperationException("The request has ended."), authMethod);

    protected override void Release() => Volatile.Write(ref _context, null);
}

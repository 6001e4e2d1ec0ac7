using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing.Patterns;

namespace ActivityLog.AspNetCore.Webhooks;

/// <summary>
/// The addresses the pages link and post to, built from the mapped pattern (route values filled in from the request,
/// for a pattern such as <c>/{tenant}/settings/webhooks</c>) under the request's path base.
/// </summary>
internal sealed class WebhookPaths(string pattern)
{
    private readonly RoutePattern _pattern = RoutePatternFactory.Parse(pattern);

    public string Base(HttpContext context)
    {
        var path = new StringBuilder(context.Request.PathBase.Value);
        foreach (var segment in _pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        path.Append(literal.Content);
                        break;
                    case RoutePatternSeparatorPart separator:
                        path.Append(separator.Content);
                        break;
                    case RoutePatternParameterPart parameter:
                        string value = Convert.ToString(context.Request.RouteValues[parameter.Name], CultureInfo.InvariantCulture) ?? "";
                        path.Append(Uri.EscapeDataString(value));
                        break;
                }
            }
        }

        return path.ToString();
    }

    /// <summary>The list page (the pattern itself).</summary>
    public string List(HttpContext context) => Base(context) is { Length: > 0 } path ? path : "/";

    public string Details(HttpContext context, Guid id) => $"{Base(context)}/{id:D}";
}

using ActivityLog.AspNetCore.Endpoints;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.AspNetCore.Webhooks;

/// <summary>The caller's account and the management API, for one request of Settings → Webhooks.</summary>
internal sealed record WebhookCaller(string AccountId, IActivityWebhookSubscriptions Webhooks)
{
    public const string MissingWebhooks =
        "MapActivityLogWebhooks needs IActivityWebhookSubscriptions: add the ActivityLog.Webhooks package and call " +
        "services.AddActivityLog().AddWebhooks(…) when configuring services.";

    public const string MissingAntiforgery =
        "MapActivityLogWebhooks needs ASP.NET Core antiforgery for its forms: call services.AddAntiforgery() when configuring services.";

    /// <summary>The caller, or <see langword="null"/> after answering 401/403 (the same rules as the Activity Log page).</summary>
    public static async Task<WebhookCaller?> RequireAsync(HttpContext context, bool html)
    {
        if (await CallerAccount.RequireAsync(context, html, "MapActivityLogWebhooks", "there are no webhooks to show").ConfigureAwait(false) is not { } account)
        {
            return null;
        }

        var webhooks = context.RequestServices.GetService<IActivityWebhookSubscriptions>() ?? throw new InvalidOperationException(MissingWebhooks);
        return new WebhookCaller(account, webhooks);
    }

    /// <summary>The subscription id of the route (the route constraint already made it a Guid).</summary>
    public static Guid RouteId(HttpContext context) =>
        Guid.Parse((string)context.Request.RouteValues["id"]!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The dead letter's <c>webhook-id</c> of the route.</summary>
    public static string RouteMessageId(HttpContext context) => (string)context.Request.RouteValues["messageId"]!;
}

using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using Microsoft.Extensions.Options;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>Asks a store for a durable copy of the events one endpoint accepts (destination <c>webhooks:&lt;name&gt;</c>).</summary>
internal sealed class WebhookOutboxSubscriber(string endpointName, IOptions<ActivityWebhookOptions> options) : IActivityOutboxSubscriber
{
    // Built on first use, from the validated options: a disabled or unknown endpoint accepts nothing.
    private readonly Lazy<WebhookEventFilter?> _filter = new(() =>
        options.Value.Endpoints.TryGetValue(endpointName, out var endpoint) && endpoint.Enabled ? new WebhookEventFilter(endpoint.Events) : null);

    public string EndpointName => endpointName;

    public string Destination { get; } = WebhookEndpoint.DestinationPrefix + endpointName;

    public bool Accepts(ActivityLogEvent activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return _filter.Value?.Accepts(activity.Name) ?? false;
    }
}

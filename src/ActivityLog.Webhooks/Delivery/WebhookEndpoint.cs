using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Signing;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>An endpoint as the engine uses it: validated options, filter, signer, outbox destination and state.</summary>
internal sealed class WebhookEndpoint
{
    public const string DestinationPrefix = "webhooks:";

    private volatile bool _disabled;

    public WebhookEndpoint(string name, WebhookEndpointOptions options, TimeSpan lease)
    {
        Name = name;
        Options = options;
        Destination = DestinationPrefix + name;
        Url = options.Url!;
        Filter = new WebhookEventFilter(options.Events);
        Signer = new WebhookSigner(options.Signing, [options.Secret!, .. options.AdditionalSecrets]);
        Claim = new ActivityOutboxClaim
        {
            MaxEvents = options.MaxBatchEvents,
            MaxBytes = options.MaxBatchBytes,
            Lease = lease, // the host-wide lease length; the worker adds its measure
        };
    }

    public string Name { get; }

    public string Destination { get; }

    public Uri Url { get; }

    public WebhookEndpointOptions Options { get; }

    public WebhookEventFilter Filter { get; }

    public WebhookSigner Signer { get; }

    public ActivityOutboxClaim Claim { get; }

    /// <summary>Set by a 410 Gone answer: the worker stops sending until <see cref="Enable"/>.</summary>
    public bool IsDisabled => _disabled;

    public void Disable() => _disabled = true;

    public void Enable() => _disabled = false;
}

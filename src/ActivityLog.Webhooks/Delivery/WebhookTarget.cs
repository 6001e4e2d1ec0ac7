using System.Threading.RateLimiting;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Signing;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>
/// One destination as the delivery engine uses it: a host-configured endpoint (every account's events, the
/// operator's stream) or an account's subscription (that account's events only). Immutable but for its state flags:
/// a change to a subscription builds a new target.
/// </summary>
internal sealed class WebhookTarget
{
    public const string DestinationPrefix = "webhooks:";

    /// <summary>The metric and trace name of every tenant subscription: one tag value, not one per subscription.</summary>
    public const string SubscriptionsMetricName = "subscriptions";

    private volatile bool _disabled;

    private WebhookTarget(string destination, string name, Uri url, WebhookPayloadFormat format, ActivityJsonFields fields, WebhookEventFilter filter, WebhookSigner signer, ActivityOutboxClaim claim, TimeSpan batchDelay)
    {
        Destination = destination;
        Name = name;
        Url = url;
        Format = format;
        Fields = fields;
        Filter = filter;
        Signer = signer;
        Claim = claim;
        BatchDelay = batchDelay;
    }

    /// <summary>A host-configured endpoint: destination <c>webhooks:&lt;name&gt;</c>, every account.</summary>
    public static WebhookTarget ForEndpoint(string name, WebhookEndpointOptions options, TimeSpan lease) =>
        new(DestinationPrefix + name, name, options.Url!, options.Format, options.Fields, new WebhookEventFilter(options.Events),
            new WebhookSigner(options.Signing, [options.Secret!, .. options.AdditionalSecrets]),
            new ActivityOutboxClaim { MaxEvents = options.MaxBatchEvents, MaxBytes = options.MaxBatchBytes, Lease = lease },
            options.MaxBatchDelay)
        {
            MetricName = name,
        };

    /// <summary>An account's subscription, with the secrets valid now (the current one first).</summary>
    public static WebhookTarget ForSubscription(ActivitySubscription subscription, IReadOnlyList<string> secrets, DateTimeOffset? secretsChangeAt, WebhookSubscriptionOptions options, TimeSpan lease) =>
        new(IWebhookDeliveryControl.DestinationOf(subscription.Id), "subscription " + subscription.Id.ToString("N"), new Uri(subscription.Url),
            FormatOf(subscription.Format), options.Fields, new WebhookEventFilter(subscription.Events),
            new WebhookSigner(WebhookSigningScheme.StandardWebhooks, secrets),
            new ActivityOutboxClaim { MaxEvents = options.MaxBatchEvents, MaxBytes = options.MaxBatchBytes, Lease = lease },
            options.MaxBatchDelay)
        {
            Subscription = subscription,
            AccountId = subscription.AccountId,
            MetricName = SubscriptionsMetricName,
            SecretsChangeAt = secretsChangeAt,
            _disabled = !subscription.Enabled,
            RateLimiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.MaxRequestsPerSecond,
                TokensPerPeriod = options.MaxRequestsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = false, // replenished by the engine's loop: no timer per subscription
            }),
        };

    /// <summary>The stored name of a payload format, and back.</summary>
    public static string FormatName(WebhookPayloadFormat format) => format == WebhookPayloadFormat.JsonLines ? "jsonl" : "json";

    public static WebhookPayloadFormat FormatOf(string name) => name == "jsonl" ? WebhookPayloadFormat.JsonLines : WebhookPayloadFormat.Json;

    public string Destination { get; }

    /// <summary>For log lines: the endpoint's configured name, or <c>subscription &lt;id&gt;</c>. Never the URL.</summary>
    public string Name { get; }

    /// <summary>The metric tag: the endpoint's name, or <see cref="SubscriptionsMetricName"/> for every subscription.</summary>
    public string MetricName { get; private init; } = "";

    public Uri Url { get; }

    public WebhookPayloadFormat Format { get; }

    public ActivityJsonFields Fields { get; }

    public WebhookEventFilter Filter { get; }

    public WebhookSigner Signer { get; }

    public ActivityOutboxClaim Claim { get; }

    public TimeSpan BatchDelay { get; }

    /// <summary>The subscription, or <see langword="null"/> for a host-configured endpoint.</summary>
    public ActivitySubscription? Subscription { get; private init; }

    /// <summary>The only account whose events it receives, or <see langword="null"/> for all (host endpoints).</summary>
    public string? AccountId { get; private init; }

    /// <summary>When a rotated-out secret expires, so the signer must be rebuilt, or <see langword="null"/>.</summary>
    public DateTimeOffset? SecretsChangeAt { get; private init; }

    /// <summary>The per-subscription request rate limit, replenished by the engine; <see langword="null"/> for host endpoints.</summary>
    public TokenBucketRateLimiter? RateLimiter { get; private init; }

    /// <summary>The outbox claim of a host endpoint's sends goes through the host's network rules, a subscription's through the tenant rules.</summary>
    public bool IsTenant => Subscription is not null;

    /// <summary>Disabled: by an admin, a 410 Gone answer, or continuous failure. Its work is kept, nothing is sent.</summary>
    public bool IsDisabled => _disabled;

    public void Disable() => _disabled = true;

    public void Enable() => _disabled = false;
}

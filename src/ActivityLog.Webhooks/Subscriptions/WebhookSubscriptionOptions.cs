using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;

namespace ActivityLog.Webhooks;

/// <summary>
/// Tenant webhook subscriptions (Settings → Webhooks): limits, safety rules for URLs typed by strangers, the shared
/// delivery pool, and how failing subscriptions are handled. Bound from <c>ActivityLog:Webhooks:Subscriptions</c>.
/// </summary>
/// <remarks>
/// These rules apply to subscriptions only; host-configured endpoints keep the host's own settings
/// (<see cref="ActivityWebhookOptions.AllowLoopback"/>, …), so widening one never widens the other.
/// </remarks>
public sealed class WebhookSubscriptionOptions
{
    /// <summary>How many subscriptions one account may have.</summary>
    /// <value>20. Between 1 and 10,000.</value>
    [Range(1, 10_000)]
    public int MaxPerAccount { get; set; } = 20;

    /// <summary>How long a rotated-out secret keeps signing beside the new one.</summary>
    /// <value>24 hours. Between 0 and 30 days.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan SecretRotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long delivery attempts are kept for the admins to see.</summary>
    /// <value>7 days. Between 1 hour and 365 days.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan AttemptRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>After how long of continuous failure a subscription is disabled (recorded in the account's log, and the host is notified).</summary>
    /// <value>5 days. Between 1 minute and 365 days.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan DisableAfterFailingFor { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How many deliveries (HTTP requests) run at once for the whole process, across every subscription and endpoint.</summary>
    /// <value>64. Between 1 and 10,000.</value>
    [Range(1, 10_000)]
    public int MaxConcurrentDeliveries { get; set; } = 64;

    /// <summary>How many of those one account may hold at once, so that one tenant's backlog never starves the others.</summary>
    /// <value>8. Between 1 and 10,000.</value>
    [Range(1, 10_000)]
    public int MaxConcurrentDeliveriesPerAccount { get; set; } = 8;

    /// <summary>The most requests per second sent to one subscription (a token bucket; a full batch is one request).</summary>
    /// <value>20. Between 1 and 100,000.</value>
    [Range(1, 100_000)]
    public int MaxRequestsPerSecond { get; set; } = 20;

    /// <summary>How often this process looks for subscriptions changed by other processes sharing the database.</summary>
    /// <value>2 seconds. Between 10 milliseconds and 10 minutes.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Allows <c>http://</c> URLs. Off by default: a payload and its signature would cross the network in the clear.</summary>
    /// <value><see langword="false"/>.</value>
    public bool AllowHttp { get; set; }

    /// <summary>Allows loopback targets (<c>127.0.0.0/8</c>, <c>::1</c>, names resolving to them): for development and tests only.</summary>
    /// <value><see langword="false"/>.</value>
    public bool AllowLoopback { get; set; }

    /// <summary>The most events in one request.</summary>
    /// <value>100. Between 1 and 10,000.</value>
    [Range(1, 10_000)]
    public int MaxBatchEvents { get; set; } = 100;

    /// <summary>The most bytes in one request body (a single larger event still goes alone).</summary>
    /// <value>1 MiB. Between 1 KiB and 64 MiB.</value>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>How long the engine lets a subscription's first events of a lull wait for more before it sends them.</summary>
    /// <value>200 milliseconds. Between 0 and 1 minute.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The event fields beyond the seed's that subscriptions receive.</summary>
    /// <value><see cref="ActivityJsonFields.None"/>: the seed payload exactly.</value>
    public ActivityJsonFields Fields { get; set; } = ActivityJsonFields.None;
}

using Microsoft.Extensions.Options;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using ActivityLog.Serialization;

namespace ActivityLog.Webhooks;

/// <summary>
/// The webhook endpoints and the host-wide delivery settings. Bound from the configuration section
/// <c>ActivityLog:Webhooks</c> (when an <c>IConfiguration</c> is registered), then adjusted by the code callback of
/// <c>AddWebhooks</c>; validated when the host starts.
/// </summary>
/// <remarks>Read once at start: changes after start are not picked up.</remarks>
public sealed class ActivityWebhookOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "ActivityLog:Webhooks";

    /// <summary>The name of the <see cref="System.Net.Http.HttpClient"/> the package sends with (configure it with <c>services.AddHttpClient(ActivityWebhookOptions.HttpClientName)</c>).</summary>
    public const string HttpClientName = "ActivityLog.Webhooks";

    /// <summary>
    /// Standard Webhooks' retry schedule: the delay before each attempt after a failed one, the first being the
    /// immediate first attempt: 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (ten attempts over about 3 days).
    /// </summary>
    public static IReadOnlyList<TimeSpan> StandardRetryDelays { get; } =
    [
        TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    /// <summary>The endpoints, by name. The name is part of the outbox destination (<c>webhooks:&lt;name&gt;</c>): renaming an endpoint orphans its pending deliveries.</summary>
    /// <value>Empty: nothing is sent.</value>
    public IDictionary<string, WebhookEndpointOptions> Endpoints { get; } = new Dictionary<string, WebhookEndpointOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The delay before each attempt, the first entry being the delay of the first attempt (normally zero); the
    /// number of entries is the number of attempts, after which a batch is dead-lettered.
    /// </summary>
    /// <value><see langword="null"/>: <see cref="StandardRetryDelays"/>. Between 1 and 100 entries, each between 0 and 7 days.</value>
    /// <remarks>A list rather than a default-filled one because configuration binding appends to lists.</remarks>
    public IList<TimeSpan>? RetryDelays { get; set; }

    /// <summary>
    /// The deadline of one HTTP attempt, all of it: connect, send, response headers and, for a non-2xx answer, the
    /// bounded excerpt of the response body (<see cref="MaxResponseBodyBytes"/>). An attempt that reaches it counts as a
    /// timeout and is retried on the schedule, so a receiver that stalls its answer holds its endpoint this long at most.
    /// </summary>
    /// <value>15 seconds. Between 1 second and 5 minutes.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest <c>Retry-After</c> honoured; a longer one is cut to this.</summary>
    /// <value>24 hours.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How many bytes of a response body are read (for the failure reason of a non-2xx answer); the rest is discarded.</summary>
    /// <value>1,024. Between 0 and 1,048,576.</value>
    [Range(0, 1024 * 1024)]
    public int MaxResponseBodyBytes { get; set; } = 1024;

    /// <summary>
    /// The proxy deliveries go through (<c>http://proxy.internal:3128</c>), or <see langword="null"/> for direct
    /// connections. Ambient proxies (<c>HTTP_PROXY</c>, <c>HTTPS_PROXY</c>, <c>ALL_PROXY</c>, the system's) are never
    /// used: they would hide the target from the connect-time address check. Through a proxy, the proxy resolves the
    /// target, so a target is checked by its host only (literal addresses and <c>localhost</c>), at start and per connection.
    /// </summary>
    /// <value><see langword="null"/>: no proxy.</value>
    public Uri? Proxy { get; set; }

    /// <summary>Allows endpoints on loopback addresses (<c>127.0.0.0/8</c>, <c>::1</c>, <c>localhost</c>): for development and tests.</summary>
    /// <value><see langword="false"/>.</value>
    public bool AllowLoopback { get; set; }

    /// <summary>
    /// Allows endpoints on private (RFC 1918, <c>fc00::/7</c>), shared (<c>100.64.0.0/10</c>) and link-local
    /// (<c>169.254.0.0/16</c>, <c>fe80::/10</c>) addresses. Unspecified, broadcast, multicast, documentation,
    /// benchmarking and reserved addresses stay refused (see the package README for the table).
    /// </summary>
    /// <value><see langword="false"/>.</value>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Networks allowed even though they are private or loopback, in CIDR notation (<c>10.1.0.0/16</c>); ranges that are refused always stay refused.</summary>
    /// <value>Empty.</value>
    public IList<string> AllowedNetworks { get; } = [];

    /// <summary>With a store's outbox, how often a worker looks for entries written by other processes (entries of this process wake it at once).</summary>
    /// <value>5 seconds. Between 10 milliseconds and 10 minutes.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claimed batch stays leased to this process; another process may take it after that. Must exceed <see cref="RequestTimeout"/>.</summary>
    /// <value>2 minutes. Between 10 seconds and 1 hour.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Without a store: how many events may wait per endpoint in memory. When full, new events for that endpoint
    /// are dropped, counted (<c>activitylog.webhooks.events.dropped</c>, reason <c>queue_full</c>) and logged.
    /// </summary>
    /// <value>100,000. Between 1 and 10,000,000.</value>
    [Range(1, 10_000_000)]
    public int InMemoryCapacity { get; set; } = 100_000;

    /// <summary>Without a store: how long a graceful stop keeps delivering what is due before it gives up and counts the rest as dropped.</summary>
    /// <value><see langword="null"/>: the core's <c>ActivityLog:ShutdownTimeout</c> (30 seconds by default).</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TimeSpanRange.Justification)]
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan? ShutdownTimeout { get; set; }

    /// <summary>Tenant subscriptions (Settings → Webhooks): limits, URL rules, the shared delivery pool, failure handling.</summary>
    [ValidateObjectMembers]
    public WebhookSubscriptionOptions Subscriptions { get; } = new();

    internal IReadOnlyList<TimeSpan> EffectiveRetryDelays => RetryDelays is { Count: > 0 } delays ? [.. delays] : StandardRetryDelays;
}

/// <summary>One webhook endpoint: where, which events, in which format, signed how.</summary>
public sealed class WebhookEndpointOptions
{
    /// <summary>The absolute <c>http</c> or <c>https</c> URL the batches are POSTed to. Required.</summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// The signing secret. Standard Webhooks: <c>whsec_</c> followed by base64 of 24 to 64 random bytes. Mailtrap: any
    /// non-empty string (its UTF-8 bytes are the key). Required. Never logged.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>
    /// Further secrets during a rotation (Standard Webhooks only): each adds a <c>v1,</c> signature to
    /// <c>webhook-signature</c>, so receivers still on the old secret verify too.
    /// </summary>
    /// <value>Empty.</value>
    public IList<string> AdditionalSecrets { get; } = [];

    /// <summary>
    /// Which events: exact names (<c>activity_log.user.updated</c>), whole segments followed by <c>.*</c>
    /// (<c>activity_log.user.*</c>, which does not match <c>activity_log.user_role.created</c>), or <c>*</c> alone; the
    /// same grammar as the reader's <see cref="ActivityLogQuery.EventNames"/>. A partial segment such as
    /// <c>activity_log.us*</c> fails validation at start.
    /// </summary>
    /// <value>Empty: every event.</value>
    public IList<string> Events { get; } = [];

    /// <summary>The body format.</summary>
    /// <value><see cref="WebhookPayloadFormat.Json"/>.</value>
    public WebhookPayloadFormat Format { get; set; } = WebhookPayloadFormat.Json;

    /// <summary>Optional event fields beyond the seed payload's (<c>id</c>, <c>account_id</c>, <c>context</c>, <c>metadata</c>).</summary>
    /// <value><see cref="ActivityJsonFields.None"/>.</value>
    public ActivityJsonFields Fields { get; set; } = ActivityJsonFields.None;

    /// <summary>How requests are signed.</summary>
    /// <value><see cref="WebhookSigningScheme.StandardWebhooks"/>.</value>
    public WebhookSigningScheme Signing { get; set; } = WebhookSigningScheme.StandardWebhooks;

    /// <summary>The most events in one request.</summary>
    /// <value>100. Between 1 and 10,000.</value>
    public int MaxBatchEvents { get; set; } = 100;

    /// <summary>The most body bytes in one request (a single larger event is still sent alone).</summary>
    /// <value>1,048,576 (1 MiB). Between 1,024 and 104,857,600.</value>
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a worker lets a batch fill once events are waiting and the previous batch was not full; zero sends at once.</summary>
    /// <value>200 milliseconds. Between 0 and 1 minute.</value>
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether the endpoint receives anything. A disabled endpoint gets no outbox deliveries.</summary>
    /// <value><see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;
}

/// <summary>How a webhook request is signed.</summary>
public enum WebhookSigningScheme
{
    /// <summary>
    /// Standard Webhooks: <c>webhook-id</c>, <c>webhook-timestamp</c> (Unix seconds) and
    /// <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</c> (one per secret), with
    /// <c>whsec_</c> secrets. Receivers reject old timestamps, so replays are refused.
    /// </summary>
    StandardWebhooks,

    /// <summary>
    /// Mailtrap-compatible: <c>Mailtrap-Signature: &lt;lowercase hex HMAC-SHA256 of the raw body&gt;</c>. There is no
    /// timestamp, so no replay protection. <c>webhook-id</c> is sent too, for deduplication.
    /// </summary>
    Mailtrap,
}

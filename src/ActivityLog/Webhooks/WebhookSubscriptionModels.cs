namespace ActivityLog.Webhooks;

/// <summary>What an admin enters for a webhook: the "Create New Webhook" form.</summary>
public sealed class WebhookSubscriptionDraft
{
    /// <summary>Where to send: an absolute <c>https</c> URL without credentials, to a public address.</summary>
    public Uri? Url { get; set; }

    /// <summary>The payload format.</summary>
    /// <value><see cref="WebhookPayloadFormat.Json"/>: <c>{"events":[…]}</c>.</value>
    public WebhookPayloadFormat Format { get; set; } = WebhookPayloadFormat.Json;

    /// <summary>Event names or patterns (<c>activity_log.user.*</c>); empty for every Activity Log event.</summary>
    public IList<string> Events { get; } = [];

    /// <summary>The webhook's name as the account sees it (the seed's "Logging"), 1 to 200 characters.</summary>
    public string? Description { get; set; }
}

/// <summary>A webhook subscription as its account's admins see it: never its secrets.</summary>
/// <param name="Id">The subscription's id.</param>
/// <param name="AccountId">The owning account.</param>
/// <param name="Description">Its name ("Logging").</param>
/// <param name="Url">Where deliveries go.</param>
/// <param name="Format">The payload format.</param>
/// <param name="Events">Event names or patterns; empty for every Activity Log event.</param>
/// <param name="Enabled">Whether deliveries are made.</param>
/// <param name="DisabledReason">Why not (<c>admin</c>, <c>gone</c>, <c>failing</c>), or <see langword="null"/>.</param>
/// <param name="FailingSince">Since when every attempt has failed, or <see langword="null"/>.</param>
/// <param name="PreviousSecretExpiresAt">Until when a rotated-out secret still signs beside the current one, or <see langword="null"/>.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it (the actor's id), or <see langword="null"/>.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who changed it last, or <see langword="null"/>.</param>
public sealed record WebhookSubscription(
    Guid Id,
    string AccountId,
    string Description,
    Uri Url,
    WebhookPayloadFormat Format,
    IReadOnlyList<string> Events,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset? FailingSince,
    DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    DateTimeOffset UpdatedAt,
    string? UpdatedBy);

/// <summary>A subscription just created, with its signing secret: the only time the secret is shown.</summary>
/// <param name="Subscription">The subscription.</param>
/// <param name="Secret">The <c>whsec_</c> secret.</param>
public sealed record CreatedWebhookSubscription(WebhookSubscription Subscription, string Secret)
{
    /// <summary>Leaves the secret out, so that logging this record cannot leak it.</summary>
    /// <returns>A description without the secret.</returns>
    public override string ToString() => $"CreatedWebhookSubscription {{ Subscription = {Subscription.Id}, Secret = [FILTERED] }}";
}

/// <summary>A new secret after a rotation: the only time it is shown.</summary>
/// <param name="Subscription">The subscription.</param>
/// <param name="Secret">The new <c>whsec_</c> secret.</param>
/// <param name="PreviousSecretExpiresAt">Until when the previous secret keeps signing beside it.</param>
public sealed record RotatedWebhookSecret(WebhookSubscription Subscription, string Secret, DateTimeOffset PreviousSecretExpiresAt)
{
    /// <summary>Leaves the secret out, so that logging this record cannot leak it.</summary>
    /// <returns>A description without the secret.</returns>
    public override string ToString() => $"RotatedWebhookSecret {{ Subscription = {Subscription.Id}, Secret = [FILTERED], PreviousSecretExpiresAt = {PreviousSecretExpiresAt:O} }}";
}

/// <summary>Where a re-enabled subscription starts.</summary>
public enum WebhookResumeMode
{
    /// <summary>Deliver everything kept while it was disabled, oldest first.</summary>
    Backlog,

    /// <summary>Discard what was kept (counted in the log) and deliver only events recorded from now on.</summary>
    Now,
}

/// <summary>One delivery attempt, as the admin sees it.</summary>
/// <param name="MessageId">The <c>webhook-id</c>, the same on every attempt of the message.</param>
/// <param name="AttemptedAt">When it started.</param>
/// <param name="Attempt">Its number for the message, from 1.</param>
/// <param name="EventCount">How many events the message carried.</param>
/// <param name="Succeeded">Whether the receiver answered 2xx.</param>
/// <param name="StatusCode">The HTTP status, or <see langword="null"/> without an answer.</param>
/// <param name="Error">What went wrong, or <see langword="null"/>.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="ResponseExcerpt">The start of the response body, or <see langword="null"/>.</param>
/// <param name="IsTest">Whether it was a test event.</param>
public sealed record WebhookDeliveryAttempt(
    string MessageId,
    DateTimeOffset AttemptedAt,
    int Attempt,
    int EventCount,
    bool Succeeded,
    int? StatusCode,
    string? Error,
    TimeSpan Duration,
    string? ResponseExcerpt,
    bool IsTest);

/// <summary>A message that will not be attempted again unless redelivered.</summary>
/// <param name="MessageId">Its <c>webhook-id</c>.</param>
/// <param name="EventCount">How many events it holds.</param>
/// <param name="Attempts">How many attempts were made.</param>
/// <param name="LastError">Why the last one failed.</param>
/// <param name="CreatedAt">When the message was formed.</param>
/// <param name="DeadLetteredAt">When it was given up.</param>
public sealed record WebhookDeadLetter(string MessageId, int EventCount, int Attempts, string LastError, DateTimeOffset CreatedAt, DateTimeOffset DeadLetteredAt);

/// <summary>A subscription change was refused: <see cref="Field"/> names the draft's field (or <c>Account</c> for the per-account limit).</summary>
public sealed class WebhookSubscriptionException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public WebhookSubscriptionException()
    {
        Field = "";
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public WebhookSubscriptionException(string message)
        : base(message)
    {
        Field = "";
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebhookSubscriptionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "";
    }

    /// <summary>Creates the exception for a field.</summary>
    /// <param name="field">The field, such as <c>Url</c>.</param>
    /// <param name="message">What is wrong, never the secret parts of a URL.</param>
    public WebhookSubscriptionException(string field, string message)
        : base(message, field)
    {
        Field = field;
    }

    /// <summary>The refused field: <c>Url</c>, <c>Format</c>, <c>Events</c>, <c>Description</c> or <c>Account</c>.</summary>
    public string Field { get; }
}

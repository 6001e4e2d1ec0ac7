namespace ActivityLog.Extensibility;

/// <summary>One delivery attempt to a subscription, kept for its admins for a configurable time (default 7 days).</summary>
public sealed record ActivityDeliveryAttempt
{
    /// <summary>The longest <see cref="Error"/> and <see cref="ResponseExcerpt"/> kept, in characters.</summary>
    public const int MaxTextLength = 1_000;

    /// <summary>The attempt's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The subscription's account.</summary>
    public required string AccountId { get; init; }

    /// <summary>The subscription.</summary>
    public required Guid SubscriptionId { get; init; }

    /// <summary>The message's <c>webhook-id</c> (<c>msg_…</c>), the same on every attempt of the message.</summary>
    public required string MessageId { get; init; }

    /// <summary>When the attempt started.</summary>
    public required DateTimeOffset AttemptedAt { get; init; }

    /// <summary>The attempt's number for its message, from 1.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>How many events the message carried.</summary>
    public int EventCount { get; init; }

    /// <summary>Whether the receiver accepted it (a 2xx answer).</summary>
    public bool Succeeded { get; init; }

    /// <summary>The HTTP status, or <see langword="null"/> when no answer came (timeout, connection error).</summary>
    public int? StatusCode { get; init; }

    /// <summary>What went wrong, or <see langword="null"/> on success; never a secret or the URL's path.</summary>
    public string? Error { get; init; }

    /// <summary>How long the attempt took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The start of the response body (bounded), or <see langword="null"/>.</summary>
    public string? ResponseExcerpt { get; init; }

    /// <summary>Whether this was a test event sent by an admin, not account activity.</summary>
    public bool IsTest { get; init; }
}

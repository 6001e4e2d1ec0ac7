namespace ActivityLog.EntityFrameworkCore.Subscriptions;

/// <summary>One delivery subscription as the store keeps it (<see cref="ActivityLog.Extensibility.ActivitySubscription"/>, flattened).</summary>
internal sealed class SubscriptionRow
{
    public const int MaxKindLength = 32;
    public const int MaxFormatLength = 32;
    public const int MaxReasonLength = 32;

    public Guid Id { get; set; }

    public string AccountId { get; set; } = "";

    public string Kind { get; set; } = "";

    public string Description { get; set; } = "";

    public string Url { get; set; } = "";

    public string Format { get; set; } = "";

    /// <summary>The event names or patterns as a JSON array of strings (<c>[]</c> for every event).</summary>
    public string Events { get; set; } = "[]";

    public bool Enabled { get; set; }

    public string? DisabledReason { get; set; }

    /// <summary>Opaque to the store: encrypted by the delivery package.</summary>
    public string ProtectedSecrets { get; set; } = "";

    public DateTime? FailingSince { get; set; }

    public DateTime CreatedAt { get; set; }

    public string? CreatedBy { get; set; }

    public DateTime UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }

    public DateTime? DeletedAt { get; set; }

    public long Version { get; set; }
}

/// <summary>One delivery attempt (<see cref="ActivityLog.Extensibility.ActivityDeliveryAttempt"/>, flattened).</summary>
internal sealed class DeliveryAttemptRow
{
    public const int MaxMessageIdLength = 100;

    public Guid Id { get; set; }

    public string AccountId { get; set; } = "";

    public Guid SubscriptionId { get; set; }

    public string MessageId { get; set; } = "";

    public DateTime AttemptedAt { get; set; }

    public int Attempt { get; set; }

    public int EventCount { get; set; }

    public bool Succeeded { get; set; }

    public int? StatusCode { get; set; }

    public string? Error { get; set; }

    /// <summary>The attempt's duration in microseconds (a plain integer on every provider).</summary>
    public long DurationMicroseconds { get; set; }

    public string? ResponseExcerpt { get; set; }

    public bool IsTest { get; set; }
}

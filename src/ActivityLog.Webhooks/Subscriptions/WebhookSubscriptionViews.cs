using System.Diagnostics.CodeAnalysis;
using ActivityLog.Extensibility;

namespace ActivityLog.Webhooks.Subscriptions;

/// <summary>
/// How a webhook subscription is written into the store's neutral shape and read back: the kind, the format names,
/// and the admin's views of attempts and dead letters. The delivery engine reads stored subscriptions with the same helpers.
/// </summary>
internal static class WebhookSubscriptionViews
{
    /// <summary>The <see cref="ActivitySubscription.Kind"/> of a webhook subscription.</summary>
    public const string Kind = "webhook";

    /// <summary>The stored name of a format: <c>json</c> or <c>jsonl</c>.</summary>
    public static string FormatName(WebhookPayloadFormat format) => format switch
    {
        WebhookPayloadFormat.Json => "json",
        WebhookPayloadFormat.JsonLines => "jsonl",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Not a payload format."),
    };

    /// <summary>Reads a stored format name; <see langword="false"/> for a name this version does not know.</summary>
    public static bool TryParseFormat(string? name, out WebhookPayloadFormat format)
    {
        switch (name)
        {
            case "json":
                format = WebhookPayloadFormat.Json;
                return true;
            case "jsonl":
                format = WebhookPayloadFormat.JsonLines;
                return true;
            default:
                format = default;
                return false;
        }
    }

    /// <summary>The <c>webhook-id</c> of an outbox batch, the same on every attempt: <c>msg_</c> and the id's 32 hex digits.</summary>
    public static string MessageId(Guid batchId) => "msg_" + batchId.ToString("N");

    /// <summary>Reads a <c>webhook-id</c> written by <see cref="MessageId"/>; anything else is not one of ours.</summary>
    public static bool TryParseMessageId([NotNullWhen(true)] string? messageId, out Guid batchId)
    {
        batchId = default;
        return messageId is { Length: 36 }
            && messageId.StartsWith("msg_", StringComparison.Ordinal)
            && Guid.TryParseExact(messageId.AsSpan(4), "N", out batchId);
    }

    /// <summary>Whether a stored subscription is a live webhook subscription (not another kind, not a tombstone).</summary>
    public static bool IsLiveWebhook([NotNullWhen(true)] ActivitySubscription? subscription) =>
        subscription is { Kind: Kind, DeletedAt: null };

    public static WebhookDeliveryAttempt ToView(ActivityDeliveryAttempt attempt) => new(
        attempt.MessageId,
        attempt.AttemptedAt,
        attempt.Attempt,
        attempt.EventCount,
        attempt.Succeeded,
        attempt.StatusCode,
        attempt.Error,
        attempt.Duration,
        attempt.ResponseExcerpt,
        attempt.IsTest);

    public static WebhookDeadLetter ToView(ActivityOutboxDeadLetter deadLetter) => new(
        MessageId(deadLetter.BatchId),
        deadLetter.EventCount,
        deadLetter.Attempts,
        deadLetter.LastError,
        deadLetter.CreatedAt,
        deadLetter.DeadLetteredAt);
}

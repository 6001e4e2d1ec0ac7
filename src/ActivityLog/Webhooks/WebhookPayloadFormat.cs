namespace ActivityLog.Webhooks;

/// <summary>The body of a webhook request.</summary>
public enum WebhookPayloadFormat
{
    /// <summary><c>{"events":[…]}</c>, the seed payload's shape byte for byte; <c>Content-Type: application/json</c>.</summary>
    Json,

    /// <summary>One event object per line, each line ending in <c>\n</c>; <c>Content-Type: application/x-ndjson</c>.</summary>
    JsonLines,
}

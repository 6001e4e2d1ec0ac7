using System.Text.Json.Serialization;
using ActivityLog.Webhooks;

namespace ActivityLog.AspNetCore.Webhooks;

/// <summary>A subscription in the API (snake_case, like the Activity Log API); never a secret, never the account.</summary>
internal sealed record WebhookJson(
    Guid Id,
    string Description,
    string Url,
    string Format,
    IReadOnlyList<string> Events,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset? FailingSince,
    DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    DateTimeOffset UpdatedAt,
    string? UpdatedBy)
{
    public static WebhookJson From(WebhookSubscription s) => new(
        s.Id, s.Description, s.Url.ToString(), FormatName(s.Format), s.Events, s.Enabled, s.DisabledReason, s.FailingSince,
        s.PreviousSecretExpiresAt, s.CreatedAt, s.CreatedBy, s.UpdatedAt, s.UpdatedBy);

    public static string FormatName(WebhookPayloadFormat format) => format == WebhookPayloadFormat.JsonLines ? "jsonl" : "json";
}

internal sealed record WebhookListJson(IReadOnlyList<WebhookJson> Webhooks);

internal sealed record CreatedWebhookJson(WebhookJson Webhook, string Secret);

internal sealed record RotatedSecretJson(WebhookJson Webhook, string Secret, DateTimeOffset PreviousSecretExpiresAt);

internal sealed record RecoveredJson(int Recovered);

internal sealed record AttemptJson(
    string MessageId,
    DateTimeOffset AttemptedAt,
    int Attempt,
    int EventCount,
    bool Succeeded,
    int? StatusCode,
    string? Error,
    long DurationMs,
    string? ResponseExcerpt,
    bool IsTest)
{
    public static AttemptJson From(WebhookDeliveryAttempt a) => new(
        a.MessageId, a.AttemptedAt, a.Attempt, a.EventCount, a.Succeeded, a.StatusCode, a.Error,
        (long)Math.Round(a.Duration.TotalMilliseconds), a.ResponseExcerpt, a.IsTest);
}

internal sealed record AttemptListJson(IReadOnlyList<AttemptJson> Attempts);

internal sealed record DeadLetterJson(string MessageId, int EventCount, int Attempts, string LastError, DateTimeOffset CreatedAt, DateTimeOffset DeadLetteredAt)
{
    public static DeadLetterJson From(WebhookDeadLetter d) => new(d.MessageId, d.EventCount, d.Attempts, d.LastError, d.CreatedAt, d.DeadLetteredAt);
}

internal sealed record DeadLetterListJson(IReadOnlyList<DeadLetterJson> DeadLetters);

/// <summary>The body of <c>POST {pattern}/api</c> and <c>PUT {pattern}/api/{id}</c>.</summary>
internal sealed class WebhookDraftJson
{
    public string? Url { get; set; }

    public string? Format { get; set; }

    public IList<string?>? Events { get; set; }

    public string? Description { get; set; }
}

/// <summary>The body of <c>POST {pattern}/api/{id}/enable</c>: <c>{"resume_from":"backlog"|"now"}</c>.</summary>
internal sealed class EnableJson
{
    public string? ResumeFrom { get; set; }
}

/// <summary>The body of <c>POST {pattern}/api/{id}/recover</c>: <c>{"since":"2026-12-04T09:30:00Z"}</c>.</summary>
internal sealed class RecoverJson
{
    public DateTimeOffset? Since { get; set; }
}

/// <summary>The body of the actions without parameters: <c>{}</c> (or nothing).</summary>
internal sealed class EmptyJson;

/// <summary>
/// Source-generated (trimming and native AOT safe). Unknown members are refused, so a misspelt field, or an
/// <c>account_id</c> someone hoped would be honoured, is a 400 naming it rather than silently ignored.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(WebhookJson))]
[JsonSerializable(typeof(WebhookListJson))]
[JsonSerializable(typeof(CreatedWebhookJson))]
[JsonSerializable(typeof(RotatedSecretJson))]
[JsonSerializable(typeof(RecoveredJson))]
[JsonSerializable(typeof(AttemptJson))]
[JsonSerializable(typeof(AttemptListJson))]
[JsonSerializable(typeof(DeadLetterListJson))]
[JsonSerializable(typeof(WebhookDraftJson))]
[JsonSerializable(typeof(EnableJson))]
[JsonSerializable(typeof(RecoverJson))]
[JsonSerializable(typeof(EmptyJson))]
internal sealed partial class WebhookApiJsonContext : JsonSerializerContext;

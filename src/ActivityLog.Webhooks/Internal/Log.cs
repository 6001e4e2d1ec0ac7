using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Internal;

/// <summary>
/// The package's log messages. Never a secret, a payload or a signature: endpoint names, counts, status codes. An
/// endpoint is named by its configured name (and, once at start, its host) — never by its URL's path or query, which
/// often carry a credential.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(4101, LogLevel.Information, "ActivityLog webhooks: {Count} endpoint(s) delivering from {Outbox}.")]
    public static partial void Started(ILogger logger, int count, string outbox);

    [LoggerMessage(4102, LogLevel.Warning, "Webhook endpoint {Endpoint}: attempt {Attempt} of batch {WebhookId} ({Count} event(s)) failed ({Reason}); next attempt at {RetryAt:O}.")]
    public static partial void Retrying(ILogger logger, string endpoint, int attempt, string webhookId, int count, string reason, DateTimeOffset retryAt);

    [LoggerMessage(4103, LogLevel.Error, "Webhook endpoint {Endpoint}: batch {WebhookId} ({Count} event(s)) dead-lettered after {Attempts} attempt(s): {Reason}. List and redeliver it with IActivityWebhooks.")]
    public static partial void DeadLettered(ILogger logger, string endpoint, string webhookId, int count, int attempts, string reason);

    [LoggerMessage(4104, LogLevel.Error, "Webhook endpoint {Endpoint} answered 410 Gone: it is disabled until the app restarts or IActivityWebhooks.Enable is called; its pending deliveries are kept.")]
    public static partial void EndpointGone(ILogger logger, string endpoint);

    [LoggerMessage(4105, LogLevel.Warning, "Webhook endpoint {Endpoint}: {Count} event(s) dropped ({Reason}). See activitylog.webhooks.events.dropped.")]
    public static partial void Dropped(ILogger logger, string endpoint, long count, string reason);

    [LoggerMessage(4106, LogLevel.Error, "Webhook endpoint {Endpoint}: the outbox failed; retrying in {Delay}.")]
    public static partial void OutboxFailed(ILogger logger, Exception exception, string endpoint, TimeSpan delay);

    [LoggerMessage(4107, LogLevel.Debug, "Webhook endpoint {Endpoint}: delivered batch {WebhookId} ({Count} event(s)), HTTP {Status}.")]
    public static partial void Delivered(ILogger logger, string endpoint, string webhookId, int count, int status);

    [LoggerMessage(4109, LogLevel.Information, "Webhook endpoint {Endpoint} delivers to host {Host}.")]
    public static partial void EndpointHost(ILogger logger, string endpoint, string host);

    [LoggerMessage(4110, LogLevel.Error, "Webhook endpoint {Endpoint}: event {EventId} ({EventName}) cannot be serialized ({Error}); it is dead-lettered instead of sent with batch {WebhookId}. See activitylog.webhooks.failures, reason serialization.")]
    public static partial void Unserializable(ILogger logger, string endpoint, Guid eventId, string eventName, string error, string webhookId);

    [LoggerMessage(4108, LogLevel.Warning, "ActivityLog webhooks stopped without a store: {Count} event(s) still pending for endpoint {Endpoint} are dropped.")]
    public static partial void DroppedAtStop(ILogger logger, long count, string endpoint);

    [LoggerMessage(4111, LogLevel.Error, "Webhook subscription {SubscriptionId}: its signing secrets cannot be decrypted (the Data Protection key ring lacks their key, or they are empty); nothing is sent to it until its secret is rotated. Share the key ring between instances (AddDataProtection().PersistKeysTo…).")]
    public static partial void SecretsUnreadable(ILogger logger, Exception? exception, Guid subscriptionId);

    [LoggerMessage(4112, LogLevel.Error, "ActivityLog webhooks: reading subscriptions from the store failed; retrying in {Delay}.")]
    public static partial void SubscriptionPollFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(4113, LogLevel.Warning, "Webhook subscription {SubscriptionId} disabled after failing continuously since {FailingSince:O}; its pending deliveries are kept.")]
    public static partial void SubscriptionAutoDisabled(ILogger logger, Guid subscriptionId, DateTimeOffset failingSince);

    [LoggerMessage(4114, LogLevel.Error, "ActivityLog webhooks: a subscription-disabled handler failed.")]
    public static partial void NotificationFailed(ILogger logger, Exception exception);

    [LoggerMessage(4115, LogLevel.Warning, "ActivityLog webhooks: {Count} delivery attempt record(s) dropped ({Reason}); the deliveries themselves are unaffected.")]
    public static partial void AttemptsDropped(ILogger logger, long count, string reason);

    [LoggerMessage(4116, LogLevel.Warning, "ActivityLog webhooks: updating the state of subscription {SubscriptionId} failed; it is tried again with the next attempt.")]
    public static partial void SubscriptionStateFailed(ILogger logger, Exception exception, Guid subscriptionId);

    [LoggerMessage(4117, LogLevel.Error, "ActivityLog webhooks: event {EventId} was routed before the subscriptions could be loaded from the store; it reaches host endpoints only, no account subscription.")]
    public static partial void RoutedBeforeLoad(ILogger logger, Exception exception, Guid eventId);
}

using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Subscriptions;

/// <summary>
/// The subscription manager's log messages (ids 4200–4299 of the webhooks package's range). They name subscriptions
/// by id and account, and URLs by host only; a secret never reaches a message.
/// </summary>
internal static partial class SubscriptionLog
{
    [LoggerMessage(4201, LogLevel.Information, "Webhook subscription {SubscriptionId} of account {AccountId} was {Change} (host {Host}).")]
    public static partial void SubscriptionChanged(ILogger logger, Guid subscriptionId, string accountId, string change, string? host);

    [LoggerMessage(4202, LogLevel.Information, "Webhook subscription {SubscriptionId} of account {AccountId}: {Count} pending events were discarded ({Reason}).")]
    public static partial void PendingDiscarded(ILogger logger, Guid subscriptionId, string accountId, long count, string reason);

    [LoggerMessage(4203, LogLevel.Error, "Webhook subscription {SubscriptionId} of account {AccountId} was changed, but its activity {EventName} could not be recorded.")]
    public static partial void ActivityNotRecorded(ILogger logger, Exception exception, Guid subscriptionId, string accountId, string eventName);

    [LoggerMessage(4204, LogLevel.Warning, "The secrets of webhook subscription {SubscriptionId} of account {AccountId} cannot be decrypted: the Data Protection key ring no longer holds their key ({Error}). Rotate the secret to sign again.")]
    public static partial void SubscriptionSecretsUnreadable(ILogger logger, Guid subscriptionId, string accountId, string error);

    [LoggerMessage(4205, LogLevel.Debug, "Webhook subscription {SubscriptionId} of account {AccountId} changed meanwhile; the change is made again from the stored version.")]
    public static partial void ConcurrentChange(ILogger logger, Guid subscriptionId, string accountId);

    [LoggerMessage(4206, LogLevel.Information, "Webhook subscription {SubscriptionId} of account {AccountId}: {Count} dead-lettered messages are due again ({What}).")]
    public static partial void Redelivering(ILogger logger, Guid subscriptionId, string accountId, int count, string what);
}

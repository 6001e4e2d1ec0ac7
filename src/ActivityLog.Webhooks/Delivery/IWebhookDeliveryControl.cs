using ActivityLog.Extensibility;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>
/// What the subscription manager asks of the delivery engine: to apply a change at once in this process (other
/// processes see it within the refresh interval), to send a test event, and the outbox destination of a subscription.
/// </summary>
internal interface IWebhookDeliveryControl
{
    /// <summary>The outbox destination of a tenant subscription: <c>webhooks:sub:&lt;id N&gt;</c>.</summary>
    static string DestinationOf(Guid subscriptionId) => "webhooks:sub:" + subscriptionId.ToString("N");

    /// <summary>Applies a stored change (created, updated, enabled, disabled, rotated, deleted) to routing and delivery now.</summary>
    /// <param name="subscription">The subscription as stored (a tombstone when deleted).</param>
    void SubscriptionChanged(ActivitySubscription subscription);

    /// <summary>Signs and sends one test event to the subscription now, records the attempt in the store, and returns it.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The attempt.</returns>
    Task<ActivityDeliveryAttempt> SendTestAsync(ActivitySubscription subscription, CancellationToken cancellationToken);
}

using System.Collections.Concurrent;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Subscriptions;

namespace ActivityLog.Webhooks.Tests.Subscriptions.Support;

/// <summary>
/// Stands in for the delivery engine only until the real one (the lead's rewrite of Delivery/) is on main: it records
/// what the manager told it, and a test event becomes an attempt kept in the shared store, as the engine's contract says.
/// </summary>
internal sealed class RecordingDeliveryControl(WebhookSubscriptionStoreSelector stores, TimeProvider time) : IWebhookDeliveryControl
{
    public ConcurrentQueue<ActivitySubscription> Changes { get; } = new();

    public ConcurrentQueue<ActivitySubscription> Tests { get; } = new();

    public void SubscriptionChanged(ActivitySubscription subscription) => Changes.Enqueue(subscription);

    public async Task<ActivityDeliveryAttempt> SendTestAsync(ActivitySubscription subscription, CancellationToken cancellationToken)
    {
        Tests.Enqueue(subscription);
        var now = time.GetUtcNow();
        var attempt = new ActivityDeliveryAttempt
        {
            Id = Guid.CreateVersion7(now),
            AccountId = subscription.AccountId,
            SubscriptionId = subscription.Id,
            MessageId = WebhookSubscriptionViews.MessageId(Guid.CreateVersion7(now)),
            AttemptedAt = now,
            EventCount = 1,
            Succeeded = true,
            StatusCode = 204,
            Duration = TimeSpan.FromMilliseconds(3),
            IsTest = true,
        };
        await stores.Store.AddAttemptsAsync([attempt], cancellationToken);
        return attempt;
    }
}

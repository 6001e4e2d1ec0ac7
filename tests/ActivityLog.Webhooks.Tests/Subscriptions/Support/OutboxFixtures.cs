using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Subscriptions;

namespace ActivityLog.Webhooks.Tests.Subscriptions.Support;

/// <summary>Puts work into the real in-memory outbox for a subscription's destination, as routing and a failing engine would.</summary>
internal static class OutboxFixtures
{
    private static readonly ActivityOutboxClaim Claim = new() { MaxEvents = 100, Lease = TimeSpan.FromMinutes(2) };

    public static string Destination(Guid subscriptionId) => IWebhookDeliveryControl.DestinationOf(subscriptionId);

    /// <summary>Adds <paramref name="count"/> pending events for the subscription.</summary>
    public static void AddPending(SubscriptionTestHost host, Guid subscriptionId, int count)
    {
        for (int i = 0; i < count; i++)
        {
            host.Outbox.TryAdd(Destination(subscriptionId), Event(host, subscriptionId, i)).Should().BeTrue();
        }
    }

    /// <summary>One message for the subscription, claimed and dead-lettered (its last attempt failed): returns its <c>webhook-id</c>.</summary>
    public static async Task<string> DeadLetterAsync(SubscriptionTestHost host, Guid subscriptionId, int events = 1)
    {
        AddPending(host, subscriptionId, events);
        var batch = await host.Outbox.ClaimAsync(Destination(subscriptionId), Claim);
        batch.Should().NotBeNull();
        await host.Outbox.DeadLetterAsync(batch!, "HTTP 500");
        return WebhookSubscriptionViews.MessageId(batch!.Id);
    }

    private static ActivityLogEvent Event(SubscriptionTestHost host, Guid subscriptionId, int i) => new()
    {
        Id = Guid.CreateVersion7(host.Time.GetUtcNow()),
        Name = "activity_log.user.updated",
        Timestamp = host.Time.GetUtcNow(),
        AccountId = "acme",
        Resource = new ActivityResource("user", i),
        Description = $"event {i} for {subscriptionId:N}",
    };
}

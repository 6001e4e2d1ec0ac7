using System.Globalization;
using ActivityLog.Extensibility;

namespace ActivityLog.Webhooks.Delivery;

// The run-time API of host endpoints (IActivityWebhooks) and the manager's hooks into the engine (IWebhookDeliveryControl).
internal sealed partial class WebhookDeliveryService
{
    public Task<IReadOnlyList<ActivityOutboxDeadLetter>> ListDeadLettersAsync(string? endpoint = null, int limit = 100, CancellationToken cancellationToken = default) =>
        Outbox.ListDeadLettersAsync(endpoint is null ? null : Find(endpoint).Destination, limit, cancellationToken);

    public async Task<bool> RedeliverAsync(Guid batchId, CancellationToken cancellationToken = default)
    {
        bool found = await Outbox.RedeliverAsync(batchId, cancellationToken).ConfigureAwait(false);
        if (found)
        {
            _signal.Notify();
        }

        return found;
    }

    public Task<long> CountPendingAsync(string endpoint, CancellationToken cancellationToken = default) =>
        Outbox.CountPendingAsync(Find(endpoint).Destination, cancellationToken);

    public bool IsDisabled(string endpoint) => Find(endpoint).IsDisabled;

    public void Enable(string endpoint)
    {
        Find(endpoint).Enable();
        _signal.Notify();
    }

    public void SubscriptionChanged(ActivitySubscription subscription)
    {
        Targets.Apply(subscription);
        Engine.Wake();
    }

    public async Task<ActivityDeliveryAttempt> SendTestAsync(ActivitySubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        // Built from the subscription as stored, enabled or not: an admin tests a disabled webhook before enabling it.
        var target = Targets.Build(subscription with { Enabled = true })
            ?? throw new InvalidOperationException("The webhook's signing secrets cannot be decrypted here (the Data Protection key ring lacks their key); rotate its secret.");
        var now = _time.GetUtcNow();
        var test = new ActivityLogEvent
        {
            Id = Guid.CreateVersion7(now),
            Name = "activity_log.webhook.test",
            Description = $"sent a test event to the webhook {subscription.Description}",
            Actor = WebhookFailureRules.LibraryActor,
            Resource = new ActivityResource("webhook", subscription.Id.ToString("N", CultureInfo.InvariantCulture), subscription.Description),
            AccountId = subscription.AccountId,
            Timestamp = now,
        };
        var result = await NewSlot().SendOnceAsync(target, WebhookDelivery.WebhookId(Guid.CreateVersion7(now)), [test], cancellationToken).ConfigureAwait(false);
        var attempt = WebhookFailureRules.AttemptOf(subscription, result, isTest: true);
        await Failures.KeepNowAsync(attempt, cancellationToken).ConfigureAwait(false);
        return attempt;
    }

    private WebhookTarget Find(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Targets.Endpoints.FirstOrDefault(e => string.Equals(e.Name, endpoint, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"No enabled webhook endpoint is named '{endpoint}'.", nameof(endpoint));
    }
}

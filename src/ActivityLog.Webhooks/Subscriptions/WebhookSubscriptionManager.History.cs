using ActivityLog.Webhooks.Delivery;

namespace ActivityLog.Webhooks.Subscriptions;

// Delivery history an admin can act on: test events, attempts, dead letters, redelivery and recovery. Every outbox
// call is made for a subscription found in the caller's account first, so a guessed id never reaches another's queue.
internal sealed partial class WebhookSubscriptionManager
{
    /// <summary>The most dead letters looked through to find one to redeliver (the outbox lists at most this many).</summary>
    private const int DeadLetterScanLimit = 1_000;

    public async Task<WebhookDeliveryAttempt?> SendTestAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        var subscription = await FindAsync(accountId, id, cancellationToken).ConfigureAwait(false);
        if (subscription is null)
        {
            return null;
        }

        var attempt = await _control.SendTestAsync(subscription, cancellationToken).ConfigureAwait(false);
        TryRecord(subscription, WebhookActivities.TestSent, () => WebhookActivities.RecordTestSent(_recorder, subscription, attempt));
        return WebhookSubscriptionViews.ToView(attempt);
    }

    public async Task<IReadOnlyList<WebhookDeliveryAttempt>> ListAttemptsAsync(string accountId, Guid id, int limit = 50, CancellationToken cancellationToken = default)
    {
        CheckLimit(limit);
        if (await FindAsync(accountId, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return [];
        }

        var attempts = await _store.ListAttemptsAsync(accountId, id, limit, cancellationToken).ConfigureAwait(false);
        return [.. attempts.Where(a => a.AccountId == accountId && a.SubscriptionId == id).Select(WebhookSubscriptionViews.ToView)];
    }

    public async Task<IReadOnlyList<WebhookDeadLetter>> ListDeadLettersAsync(string accountId, Guid id, int limit = 100, CancellationToken cancellationToken = default)
    {
        CheckLimit(limit);
        if (await FindAsync(accountId, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return [];
        }

        string destination = IWebhookDeliveryControl.DestinationOf(id);
        var deadLetters = await _outbox.ListDeadLettersAsync(destination, limit, cancellationToken).ConfigureAwait(false);
        return [.. deadLetters.Where(d => d.Destination == destination).Select(WebhookSubscriptionViews.ToView)];
    }

    public async Task<bool> RedeliverAsync(string accountId, Guid id, string messageId, CancellationToken cancellationToken = default)
    {
        if (!WebhookSubscriptionViews.TryParseMessageId(messageId, out var batchId))
        {
            CheckAccount(accountId);
            return false; // not a webhook-id of ours, so not one of this subscription's dead letters
        }

        var subscription = await FindAsync(accountId, id, cancellationToken).ConfigureAwait(false);
        if (subscription is null)
        {
            return false;
        }

        // The outbox redelivers by batch id across destinations: make sure it is this subscription's dead letter.
        string destination = IWebhookDeliveryControl.DestinationOf(id);
        var deadLetters = await _outbox.ListDeadLettersAsync(destination, DeadLetterScanLimit, cancellationToken).ConfigureAwait(false);
        if (!deadLetters.Any(d => d.BatchId == batchId && d.Destination == destination))
        {
            return false;
        }

        if (!await _outbox.RedeliverAsync(batchId, cancellationToken).ConfigureAwait(false))
        {
            return false; // redelivered meanwhile
        }

        // The stored state is unchanged (the engine ignores it as known), but the engine wakes to send what is due now.
        _control.SubscriptionChanged(subscription);
        SubscriptionLog.Redelivering(_logger, id, accountId, 1, messageId);
        TryRecord(subscription, WebhookActivities.Redelivered, () => WebhookActivities.RecordRedelivered(_recorder, subscription, messageId));
        return true;
    }

    public async Task<int> RecoverAsync(string accountId, Guid id, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var subscription = await FindAsync(accountId, id, cancellationToken).ConfigureAwait(false);
        if (subscription is null)
        {
            return 0;
        }

        int recovered = await _outbox.RecoverAsync(IWebhookDeliveryControl.DestinationOf(id), since, cancellationToken).ConfigureAwait(false);
        if (recovered > 0)
        {
            _control.SubscriptionChanged(subscription); // wakes the engine, as above
        }

        SubscriptionLog.Redelivering(_logger, id, accountId, recovered, "recovered since " + since.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        TryRecord(subscription, WebhookActivities.Recovered, () => WebhookActivities.RecordRecovered(_recorder, subscription, since, recovered));
        return recovered;
    }

    private static void CheckLimit(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1_000);
    }
}

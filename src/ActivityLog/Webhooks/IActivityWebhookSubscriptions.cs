namespace ActivityLog.Webhooks;

/// <summary>
/// Settings → Webhooks: each account's admins manage their own webhook subscriptions at run time. Implemented by the
/// webhooks package (<c>AddWebhooks()</c>), used by the page (<c>MapActivityLogWebhooks</c>) and by app code.
/// Every call is scoped to one account: another account's subscription is "not found", whatever its id.
/// </summary>
/// <remarks>
/// Every change is recorded in the account's own activity log under the ambient actor (<c>activity_log.webhook.created</c>:
/// "John Doe created the webhook Logging."), with the URL's host only. Secrets are returned once, by
/// <see cref="CreateAsync"/> and <see cref="RotateSecretAsync"/>, and are encrypted at rest. Invalid input throws
/// <see cref="WebhookSubscriptionException"/> naming the field.
/// </remarks>
public interface IActivityWebhookSubscriptions
{
    /// <summary>Creates a subscription (at most the per-account limit, 20 by default) with a new <c>whsec_</c> secret.</summary>
    /// <param name="accountId">The owning account.</param>
    /// <param name="draft">URL, format, events, description.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription and its secret, shown this once.</returns>
    /// <exception cref="WebhookSubscriptionException">A field is invalid (its name in <see cref="WebhookSubscriptionException.Field"/>), or the account is at its limit.</exception>
    Task<CreatedWebhookSubscription> CreateAsync(string accountId, WebhookSubscriptionDraft draft, CancellationToken cancellationToken = default);

    /// <summary>The account's subscriptions, oldest first.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscriptions.</returns>
    Task<IReadOnlyList<WebhookSubscription>> ListAsync(string accountId, CancellationToken cancellationToken = default);

    /// <summary>One of the account's subscriptions.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription, or <see langword="null"/> when the account has no such subscription.</returns>
    Task<WebhookSubscription?> GetAsync(string accountId, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Changes URL, format, events and description (not the secret, not the enabled state).</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="draft">The new values.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed subscription, or <see langword="null"/> when the account has no such subscription.</returns>
    /// <exception cref="WebhookSubscriptionException">A field is invalid.</exception>
    Task<WebhookSubscription?> UpdateAsync(string accountId, Guid id, WebhookSubscriptionDraft draft, CancellationToken cancellationToken = default);

    /// <summary>Enables a subscription (disabled by an admin, by a 410 answer or after continuous failure).</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="resumeFrom">Deliver the backlog kept while it was disabled, or discard it and start from now.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription, or <see langword="null"/> when the account has no such subscription.</returns>
    Task<WebhookSubscription?> EnableAsync(string accountId, Guid id, WebhookResumeMode resumeFrom, CancellationToken cancellationToken = default);

    /// <summary>Disables a subscription: nothing is sent, and events recorded meanwhile are kept as its backlog.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription, or <see langword="null"/> when the account has no such subscription.</returns>
    Task<WebhookSubscription?> DisableAsync(string accountId, Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a new secret; the old one keeps signing beside it until the overlap (24 hours by default) ends, so
    /// receivers can switch without losing a message.
    /// </summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new secret, shown this once, or <see langword="null"/> when the account has no such subscription.</returns>
    Task<RotatedWebhookSecret?> RotateSecretAsync(string accountId, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Deletes a subscription; what was waiting for it is discarded (counted in the log).</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="false"/> when the account has no such subscription.</returns>
    Task<bool> DeleteAsync(string accountId, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Sends one signed test event (<c>activity_log.webhook.test</c>) now and reports what the receiver answered.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The attempt (also kept in the history), or <see langword="null"/> when the account has no such subscription.</returns>
    Task<WebhookDeliveryAttempt?> SendTestAsync(string accountId, Guid id, CancellationToken cancellationToken = default);

    /// <summary>The most recent delivery attempts, newest first.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="limit">The most to return (1 to 1,000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The attempts; none when the account has no such subscription.</returns>
    Task<IReadOnlyList<WebhookDeliveryAttempt>> ListAttemptsAsync(string accountId, Guid id, int limit = 50, CancellationToken cancellationToken = default);

    /// <summary>Messages that will not be attempted again unless redelivered, oldest first.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="limit">The most to return (1 to 1,000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dead letters; none when the account has no such subscription.</returns>
    Task<IReadOnlyList<WebhookDeadLetter>> ListDeadLettersAsync(string accountId, Guid id, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Sends a dead-lettered message again, with the same <c>webhook-id</c> and a fresh retry schedule.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="messageId">The message's <c>webhook-id</c> (<c>msg_…</c>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="false"/> when the subscription has no such dead letter.</returns>
    Task<bool> RedeliverAsync(string accountId, Guid id, string messageId, CancellationToken cancellationToken = default);

    /// <summary>Sends again every message of the subscription that was dead-lettered at or after <paramref name="since"/>, each with its own <c>webhook-id</c>.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="id">The subscription.</param>
    /// <param name="since">The earliest failure to recover.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many messages are due again; 0 when the account has no such subscription.</returns>
    Task<int> RecoverAsync(string accountId, Guid id, DateTimeOffset since, CancellationToken cancellationToken = default);
}

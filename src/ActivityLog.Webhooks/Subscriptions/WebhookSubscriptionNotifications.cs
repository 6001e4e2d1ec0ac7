namespace ActivityLog.Webhooks;

/// <summary>
/// Implemented by the host to hear when the library disables an account's subscription by itself (continuous failure,
/// or a 410 Gone answer), so the app can e-mail the account's admins. Register any number as singletons
/// (<c>services.AddSingleton&lt;IWebhookSubscriptionNotifications, MyMailer&gt;()</c>); each is called once per
/// disabling, after the change is stored and recorded in the account's activity log. An exception is logged, not retried.
/// </summary>
public interface IWebhookSubscriptionNotifications
{
    /// <summary>A subscription was disabled by the library.</summary>
    /// <param name="notice">Which, why, since when.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    /// <returns>A task that completes when the host has handled it.</returns>
    Task OnSubscriptionDisabledAsync(WebhookSubscriptionDisabled notice, CancellationToken cancellationToken);
}

/// <summary>A subscription the library disabled.</summary>
/// <param name="AccountId">The owning account.</param>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Description">Its name ("Logging").</param>
/// <param name="UrlHost">Its URL's host only (the path and query may be credentials).</param>
/// <param name="Reason"><c>failing</c> (continuous failure) or <c>gone</c> (the receiver answered 410).</param>
/// <param name="FailingSince">Since when every attempt failed, or <see langword="null"/>.</param>
/// <param name="DisabledAt">When it was disabled.</param>
public sealed record WebhookSubscriptionDisabled(
    string AccountId, Guid SubscriptionId, string Description, string UrlHost, string Reason, DateTimeOffset? FailingSince, DateTimeOffset DisabledAt);

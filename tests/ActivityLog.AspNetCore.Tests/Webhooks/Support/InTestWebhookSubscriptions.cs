using System.Collections.Concurrent;
using System.Security.Cryptography;
using ActivityLog.Naming;
using ActivityLog.Webhooks;

namespace ActivityLog.AspNetCore.Tests.Webhooks.Support;

/// <summary>
/// A small in-memory <see cref="IActivityWebhookSubscriptions"/> for the page's rendering and scoping tests that do
/// not need deliveries: it keeps subscriptions per account and applies the contract's rules the page relies on
/// (another account's id is "not found", fields refused with <see cref="WebhookSubscriptionException.Field"/>).
/// Attempts and dead letters are added by the test (<see cref="AddAttempt"/>, <see cref="AddDeadLetter"/>). The
/// end-to-end tests use the real manager from <c>AddWebhooks()</c>.
/// </summary>
internal sealed class InTestWebhookSubscriptions(TimeProvider time) : IActivityWebhookSubscriptions
{
    private readonly ConcurrentDictionary<Guid, WebhookSubscription> _subscriptions = new();
    private readonly ConcurrentDictionary<Guid, List<WebhookDeliveryAttempt>> _attempts = new();
    private readonly ConcurrentDictionary<Guid, List<WebhookDeadLetter>> _deadLetters = new();

    public List<(Guid Id, string MessageId)> Redelivered { get; } = [];

    public List<(Guid Id, DateTimeOffset Since)> Recovered { get; } = [];

    public void AddAttempt(Guid id, WebhookDeliveryAttempt attempt) => _attempts.GetOrAdd(id, _ => []).Insert(0, attempt);

    public void AddDeadLetter(Guid id, WebhookDeadLetter letter) => _deadLetters.GetOrAdd(id, _ => []).Add(letter);

    public Task<CreatedWebhookSubscription> CreateAsync(string accountId, WebhookSubscriptionDraft draft, CancellationToken cancellationToken = default)
    {
        Validate(draft);
        if (_subscriptions.Values.Count(s => s.AccountId == accountId) >= 20)
        {
            throw new WebhookSubscriptionException("Account", "The account has 20 webhooks, its limit.");
        }

        var now = time.GetUtcNow();
        var subscription = new WebhookSubscription(Guid.CreateVersion7(), accountId, draft.Description!.Trim(), draft.Url!, draft.Format, [.. draft.Events],
            true, null, null, null, now, null, now, null);
        _subscriptions[subscription.Id] = subscription;
        return Task.FromResult(new CreatedWebhookSubscription(subscription, NewSecret()));
    }

    public Task<IReadOnlyList<WebhookSubscription>> ListAsync(string accountId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<WebhookSubscription>>([.. _subscriptions.Values.Where(s => s.AccountId == accountId).OrderBy(s => s.CreatedAt).ThenBy(s => s.Id)]);

    public Task<WebhookSubscription?> GetAsync(string accountId, Guid id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Find(accountId, id));

    public Task<WebhookSubscription?> UpdateAsync(string accountId, Guid id, WebhookSubscriptionDraft draft, CancellationToken cancellationToken = default)
    {
        if (Find(accountId, id) is not { } found)
        {
            return Task.FromResult<WebhookSubscription?>(null);
        }

        Validate(draft);
        return Task.FromResult<WebhookSubscription?>(_subscriptions[id] = found with
        {
            Url = draft.Url!,
            Format = draft.Format,
            Events = [.. draft.Events],
            Description = draft.Description!.Trim(),
            UpdatedAt = time.GetUtcNow(),
        });
    }

    public Task<WebhookSubscription?> EnableAsync(string accountId, Guid id, WebhookResumeMode resumeFrom, CancellationToken cancellationToken = default) =>
        Change(accountId, id, s => s with { Enabled = true, DisabledReason = null });

    public Task<WebhookSubscription?> DisableAsync(string accountId, Guid id, CancellationToken cancellationToken = default) =>
        Change(accountId, id, s => s with { Enabled = false, DisabledReason = "admin" });

    public Task<RotatedWebhookSecret?> RotateSecretAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        var expires = time.GetUtcNow().AddHours(24);
        return Change(accountId, id, s => s with { PreviousSecretExpiresAt = expires })
            .ContinueWith(t => t.Result is { } s ? new RotatedWebhookSecret(s, NewSecret(), expires) : null, TaskScheduler.Default);
    }

    public Task<bool> DeleteAsync(string accountId, Guid id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Find(accountId, id) is not null && _subscriptions.TryRemove(id, out _));

    public Task<WebhookDeliveryAttempt?> SendTestAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        if (Find(accountId, id) is null)
        {
            return Task.FromResult<WebhookDeliveryAttempt?>(null);
        }

        var attempt = new WebhookDeliveryAttempt("msg_test" + Guid.NewGuid().ToString("N")[..8], time.GetUtcNow(), 1, 1, true, 204, null, TimeSpan.FromMilliseconds(12), null, IsTest: true);
        AddAttempt(id, attempt);
        return Task.FromResult<WebhookDeliveryAttempt?>(attempt);
    }

    public Task<IReadOnlyList<WebhookDeliveryAttempt>> ListAttemptsAsync(string accountId, Guid id, int limit = 50, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<WebhookDeliveryAttempt>>(Find(accountId, id) is null ? [] : [.. _attempts.GetOrAdd(id, _ => []).Take(limit)]);

    public Task<IReadOnlyList<WebhookDeadLetter>> ListDeadLettersAsync(string accountId, Guid id, int limit = 100, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<WebhookDeadLetter>>(Find(accountId, id) is null ? [] : [.. _deadLetters.GetOrAdd(id, _ => []).Take(limit)]);

    public Task<bool> RedeliverAsync(string accountId, Guid id, string messageId, CancellationToken cancellationToken = default)
    {
        if (Find(accountId, id) is null || !_deadLetters.GetOrAdd(id, _ => []).Any(d => d.MessageId == messageId))
        {
            return Task.FromResult(false);
        }

        Redelivered.Add((id, messageId));
        return Task.FromResult(true);
    }

    public Task<int> RecoverAsync(string accountId, Guid id, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        if (Find(accountId, id) is null)
        {
            return Task.FromResult(0);
        }

        Recovered.Add((id, since));
        return Task.FromResult(_deadLetters.GetOrAdd(id, _ => []).Count(d => d.DeadLetteredAt >= since));
    }

    private WebhookSubscription? Find(string accountId, Guid id) =>
        _subscriptions.TryGetValue(id, out var s) && s.AccountId == accountId ? s : null;

    private Task<WebhookSubscription?> Change(string accountId, Guid id, Func<WebhookSubscription, WebhookSubscription> change)
    {
        if (Find(accountId, id) is not { } found)
        {
            return Task.FromResult<WebhookSubscription?>(null);
        }

        return Task.FromResult<WebhookSubscription?>(_subscriptions[id] = change(found) with { UpdatedAt = time.GetUtcNow() });
    }

    private static void Validate(WebhookSubscriptionDraft draft)
    {
        if (draft.Url is null || draft.Url.Scheme is not ("http" or "https"))
        {
            throw new WebhookSubscriptionException("Url", "The URL must be an absolute https URL.");
        }

        if (!string.IsNullOrEmpty(draft.Url.UserInfo))
        {
            throw new WebhookSubscriptionException("Url", "The URL must not hold credentials.");
        }

        if (string.IsNullOrWhiteSpace(draft.Description) || draft.Description.Trim().Length > 200)
        {
            throw new WebhookSubscriptionException("Description", "The description must be 1 to 200 characters.");
        }

        foreach (string name in draft.Events)
        {
            if (!ActivityEventName.TryParsePattern(name, out _, out string? problem))
            {
                throw new WebhookSubscriptionException("Events", ActivityEventName.PatternProblem(name, problem!, "An event"));
            }
        }
    }

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}

using System.Security.Cryptography;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.Webhooks.Subscriptions;

/// <summary>
/// Settings → Webhooks: validates what an account's admins enter, keeps it in the subscription store with its
/// secrets encrypted, tells the delivery engine at once, and records every change in the account's own log.
/// </summary>
/// <remarks>
/// Every call is scoped to the account it is given: the store answers "not found" for another account's id, and
/// outbox calls are made only for a subscription found that way. Changes use the store's optimistic concurrency
/// (<see cref="ActivitySubscription.Version"/>): a conflict is retried once from the stored state, then refused.
/// The per-account limit is enforced under a lock per account within this process; two processes creating an
/// account's last allowed webhook at the same instant may both succeed. Thread-safe.
/// </remarks>
internal sealed partial class WebhookSubscriptionManager : IActivityWebhookSubscriptions
{
    /// <summary>The most rotated-out secrets that still sign beside the current one (rotations within one overlap).</summary>
    internal const int MaxPreviousSecrets = 4;

    private readonly IActivitySubscriptionStore _store;
    private readonly IActivityOutbox _outbox;
    private readonly IWebhookDeliveryControl _control;
    private readonly WebhookSecretProtector _protector;
    private readonly IActivityRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly WebhookSubscriptionOptions _options;
    private readonly WebhookSubscriptionValidator _validator;
    private readonly ILogger _logger;

    // Striped by account: bounded however many accounts there are; two accounts sharing a stripe only wait briefly.
    private readonly SemaphoreSlim[] _accountGates = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public WebhookSubscriptionManager(
        IActivitySubscriptionStore store,
        IActivityOutbox outbox,
        IWebhookDeliveryControl control,
        WebhookSecretProtector protector,
        IActivityRecorder recorder,
        TimeProvider time,
        IOptions<ActivityWebhookOptions> options,
        ILogger<WebhookSubscriptionManager> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _outbox = outbox;
        _control = control;
        _protector = protector;
        _recorder = recorder;
        _time = time;
        _options = options.Value.Subscriptions;
        _validator = new WebhookSubscriptionValidator(NetworkGuard.ForSubscriptions(options.Value), _options, time);
        _logger = logger;
    }

    public async Task<CreatedWebhookSubscription> CreateAsync(string accountId, WebhookSubscriptionDraft draft, CancellationToken cancellationToken = default)
    {
        CheckAccount(accountId);
        ArgumentNullException.ThrowIfNull(draft);
        var valid = await _validator.ValidateAsync(draft, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        string secret = WebhookSecretProtector.NewSecret();
        string? actor = ActorId();
        var subscription = new ActivitySubscription
        {
            Id = Guid.CreateVersion7(now),
            AccountId = accountId,
            Kind = WebhookSubscriptionViews.Kind,
            Description = valid.Description,
            Url = valid.Url.AbsoluteUri,
            Format = valid.Format,
            Events = valid.Events,
            ProtectedSecrets = _protector.Protect([new WebhookSecret(secret, null)]),
            CreatedAt = now,
            CreatedBy = actor,
            UpdatedAt = now,
            UpdatedBy = actor,
        };

        var gate = _accountGates[(uint)StringComparer.Ordinal.GetHashCode(accountId) % (uint)_accountGates.Length];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int count = (await _store.ListAsync(accountId, cancellationToken).ConfigureAwait(false)).Count(s => s.Kind == WebhookSubscriptionViews.Kind);
            if (count >= _options.MaxPerAccount)
            {
                throw new WebhookSubscriptionException("Account",
                    $"The account has {count} webhooks, the most it may have ({_options.MaxPerAccount}, ActivityLog:Webhooks:Subscriptions:MaxPerAccount); delete one first.");
            }

            await _store.AddAsync(subscription, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }

        Applied(subscription, "created");
        TryRecord(subscription, WebhookActivities.Created, () => WebhookActivities.RecordCreated(_recorder, subscription));
        return new CreatedWebhookSubscription(View(subscription), secret);
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(string accountId, CancellationToken cancellationToken = default)
    {
        CheckAccount(accountId);
        var stored = await _store.ListAsync(accountId, cancellationToken).ConfigureAwait(false);
        return [.. stored.Where(s => WebhookSubscriptionViews.IsLiveWebhook(s) && s.AccountId == accountId).Select(View)];
    }

    public async Task<WebhookSubscription?> GetAsync(string accountId, Guid id, CancellationToken cancellationToken = default) =>
        await FindAsync(accountId, id, cancellationToken).ConfigureAwait(false) is { } found ? View(found) : null;

    public async Task<WebhookSubscription?> UpdateAsync(string accountId, Guid id, WebhookSubscriptionDraft draft, CancellationToken cancellationToken = default)
    {
        CheckAccount(accountId);
        ArgumentNullException.ThrowIfNull(draft);
        var valid = await _validator.ValidateAsync(draft, cancellationToken).ConfigureAwait(false);
        var change = await ChangeAsync(accountId, id, (s, _) =>
        {
            var next = s with { Url = valid.Url.AbsoluteUri, Format = valid.Format, Events = valid.Events, Description = valid.Description };
            return next.Url == s.Url && next.Format == s.Format && next.Description == s.Description && next.Events.SequenceEqual(s.Events, StringComparer.Ordinal)
                ? null
                : next;
        }, cancellationToken).ConfigureAwait(false);
        if (change is not { } c)
        {
            return null;
        }

        if (c.Changed)
        {
            Applied(c.After, "updated");
            TryRecord(c.After, WebhookActivities.Updated, () => WebhookActivities.RecordUpdated(_recorder, c.Before, c.After));
        }

        return View(c.After);
    }

    public async Task<WebhookSubscription?> EnableAsync(string accountId, Guid id, WebhookResumeMode resumeFrom, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(resumeFrom))
        {
            throw new ArgumentOutOfRangeException(nameof(resumeFrom), resumeFrom, "Resume from Backlog or Now.");
        }

        var current = await FindAsync(accountId, id, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return null;
        }

        if (current.Enabled)
        {
            return View(current); // nothing to resume, and nothing live is discarded
        }

        long discarded = 0;
        if (resumeFrom == WebhookResumeMode.Now)
        {
            // While it is still disabled, so the engine cannot be sending the backlog being discarded.
            discarded = await _outbox.DiscardPendingAsync(IWebhookDeliveryControl.DestinationOf(id), cancellationToken: cancellationToken).ConfigureAwait(false);
            SubscriptionLog.PendingDiscarded(_logger, id, accountId, discarded, "enabled from now");
        }

        var change = await ChangeAsync(accountId, id, (s, _) => s.Enabled ? null : s with { Enabled = true, DisabledReason = null, FailingSince = null }, cancellationToken)
            .ConfigureAwait(false);
        if (change is not { } c)
        {
            return null;
        }

        if (c.Changed)
        {
            Applied(c.After, "enabled");
            TryRecord(c.After, WebhookActivities.Enabled, () => WebhookActivities.RecordEnabled(_recorder, c.After, resumeFrom, discarded));
        }

        return View(c.After);
    }

    public async Task<WebhookSubscription?> DisableAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        var change = await ChangeAsync(accountId, id, (s, _) => s.Enabled ? s with { Enabled = false, DisabledReason = "admin" } : null, cancellationToken)
            .ConfigureAwait(false);
        if (change is not { } c)
        {
            return null;
        }

        if (c.Changed)
        {
            Applied(c.After, "disabled");
            TryRecord(c.After, WebhookActivities.Disabled, () => WebhookActivities.RecordDisabled(_recorder, c.After));
        }

        return View(c.After);
    }

    public async Task<RotatedWebhookSecret?> RotateSecretAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        string secret = WebhookSecretProtector.NewSecret();
        DateTimeOffset previousExpiresAt = default;
        var change = await ChangeAsync(accountId, id, (s, now) =>
        {
            previousExpiresAt = now + _options.SecretRotationOverlap;
            var secrets = new List<WebhookSecret> { new(secret, null) };
            // The current secret signs on until the overlap ends; earlier ones keep their own (earlier) end.
            secrets.AddRange(ReadSecrets(s, now)
                .Select(old => old.ExpiresAt is null ? old with { ExpiresAt = previousExpiresAt } : old)
                .Where(old => old.ExpiresAt > now)
                .OrderByDescending(old => old.ExpiresAt)
                .Take(MaxPreviousSecrets));
            return s with { ProtectedSecrets = _protector.Protect(secrets) };
        }, cancellationToken).ConfigureAwait(false);
        if (change is not { } c)
        {
            return null;
        }

        Applied(c.After, "given a new secret");
        TryRecord(c.After, WebhookActivities.SecretRotated, () => WebhookActivities.RecordSecretRotated(_recorder, c.After, previousExpiresAt));
        return new RotatedWebhookSecret(View(c.After), secret, previousExpiresAt);
    }

    public async Task<bool> DeleteAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        var change = await ChangeAsync(accountId, id, (s, now) => s with { DeletedAt = now }, cancellationToken).ConfigureAwait(false);
        if (change is not { } c)
        {
            return false;
        }

        // The engine drops it first, so nothing new is routed to it while its pending work is discarded.
        Applied(c.After, "deleted");
        // Its dead letters go too: no one can redeliver them now, and they would keep their events from retention.
        long discarded = await _outbox.DiscardPendingAsync(IWebhookDeliveryControl.DestinationOf(id), includeDeadLetters: true, cancellationToken).ConfigureAwait(false);
        SubscriptionLog.PendingDiscarded(_logger, id, accountId, discarded, "deleted");
        TryRecord(c.After, WebhookActivities.Deleted, () => WebhookActivities.RecordDeleted(_recorder, c.After, discarded));
        return true;
    }

    /// <summary>The account's live webhook subscription with that id, or <see langword="null"/>.</summary>
    private async Task<ActivitySubscription?> FindAsync(string accountId, Guid id, CancellationToken cancellationToken)
    {
        CheckAccount(accountId);
        var found = await _store.FindAsync(accountId, id, cancellationToken).ConfigureAwait(false);
        // The store scopes by account already; checked again here because a wrong answer would cross tenants.
        return WebhookSubscriptionViews.IsLiveWebhook(found) && found.AccountId == accountId && found.Id == id ? found : null;
    }

    /// <summary>
    /// Applies <paramref name="change"/> (which returns <see langword="null"/> when there is nothing to change) with
    /// optimistic concurrency: retried once from the stored state on a conflict.
    /// </summary>
    /// <returns>The states before and after, or <see langword="null"/> when the account has no such subscription.</returns>
    /// <exception cref="InvalidOperationException">It changed concurrently twice.</exception>
    private async Task<StoredChange?> ChangeAsync(
        string accountId, Guid id, Func<ActivitySubscription, DateTimeOffset, ActivitySubscription?> change, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            var current = await FindAsync(accountId, id, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return null;
            }

            var now = _time.GetUtcNow();
            if (change(current, now) is not { } next)
            {
                return new StoredChange(current, current, Changed: false);
            }

            next = next with
            {
                Id = current.Id,
                AccountId = current.AccountId,
                Kind = current.Kind,
                Version = current.Version + 1,
                // Never earlier than the stored change: processes that poll for changes go by this time.
                UpdatedAt = now > current.UpdatedAt ? now : current.UpdatedAt,
                UpdatedBy = ActorId(),
            };
            if (await _store.UpdateAsync(next, current.Version, cancellationToken).ConfigureAwait(false))
            {
                return new StoredChange(current, next, Changed: true);
            }

            if (attempt >= 1)
            {
                throw new InvalidOperationException($"The webhook subscription {id} was changed by someone else twice while this change was made; load it again and retry.");
            }

            SubscriptionLog.ConcurrentChange(_logger, id, accountId);
        }
    }

    /// <summary>The secrets still valid; none (logged) when the key ring lost their key, so that a rotation can start afresh.</summary>
    private IReadOnlyList<WebhookSecret> ReadSecrets(ActivitySubscription subscription, DateTimeOffset now)
    {
        try
        {
            return _protector.Unprotect(subscription.ProtectedSecrets, now);
        }
        catch (CryptographicException exception)
        {
            SubscriptionLog.SubscriptionSecretsUnreadable(_logger, subscription.Id, subscription.AccountId, exception.GetType().Name);
            return [];
        }
    }

    private WebhookSubscription View(ActivitySubscription s)
    {
        var now = _time.GetUtcNow();
        DateTimeOffset? previous = ReadSecrets(s, now).Where(x => x.ExpiresAt is not null).Max(x => x.ExpiresAt);
        _ = WebhookSubscriptionViews.TryParseFormat(s.Format, out var format);
        return new WebhookSubscription(
            s.Id, s.AccountId, s.Description, new Uri(s.Url), format, [.. s.Events], s.Enabled, s.DisabledReason, s.FailingSince,
            previous, s.CreatedAt, s.CreatedBy, s.UpdatedAt, s.UpdatedBy);
    }

    /// <summary>Tells the engine (routing and delivery change now in this process) and logs the change, host only.</summary>
    private void Applied(ActivitySubscription subscription, string change)
    {
        _control.SubscriptionChanged(subscription);
        SubscriptionLog.SubscriptionChanged(_logger, subscription.Id, subscription.AccountId, change, WebhookActivities.Host(subscription.Url));
    }

    /// <summary>
    /// Records the activity of a change that is already stored: a refusal by the recorder (bad input, which a stored
    /// subscription never is) is logged, not thrown, so the admin is not told that a stored change failed.
    /// </summary>
    private void TryRecord(ActivitySubscription subscription, string eventName, Action record)
    {
        try
        {
            record();
        }
        catch (ArgumentException exception)
        {
            SubscriptionLog.ActivityNotRecorded(_logger, exception, subscription.Id, subscription.AccountId, eventName);
        }
    }

    private static string? ActorId() => ActivityScope.Current?.Actor is { IsUnknown: false } actor ? actor.Id : null;

    private static void CheckAccount(string accountId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        if (accountId.Length > ActivityLimits.MaxIdLength)
        {
            throw new ArgumentException($"The account id is {accountId.Length} characters long; at most {ActivityLimits.MaxIdLength} are allowed.", nameof(accountId));
        }
    }

    private readonly record struct StoredChange(ActivitySubscription Before, ActivitySubscription After, bool Changed);
}

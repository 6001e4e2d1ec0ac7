using System.Collections.Concurrent;
using System.Security.Cryptography;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Subscriptions;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>
/// Every destination of the webhooks package, in memory: the host's endpoints and every account's subscriptions,
/// indexed by account so that routing an event costs a lookup, not a scan of thousands of subscriptions. It is the
/// package's one <see cref="IActivityOutboxRouter"/>: a store asks it where each event goes, in the event's transaction.
/// </summary>
/// <remarks>
/// Subscriptions are loaded from the store at start and refreshed by a version poll: every
/// <see cref="WebhookSubscriptionOptions.RefreshInterval"/> the engine asks for rows changed since the last poll (with an
/// overlap for clock skew between processes; applying a row twice is harmless, an older version never replaces a
/// newer one). A poll rather than PostgreSQL's <c>LISTEN/NOTIFY</c>: it works on every store the same way, needs no
/// connection held open per process, and a missed notification cannot leave a process stale; the cost is one indexed
/// query every two seconds. Changes made in this process apply at once (<see cref="Apply"/>).
/// </remarks>
internal sealed class WebhookTargets : IActivityOutboxRouter
{
    /// <summary>How far back each poll looks beyond the previous one: covers clock skew between processes and commit lag.</summary>
    private static readonly TimeSpan PollOverlap = TimeSpan.FromSeconds(30);

    private readonly WebhookTarget[] _endpoints;
    private readonly Func<IActivitySubscriptionStore> _store;
    private readonly WebhookSecretProtector _protector;
    private readonly WebhookSubscriptionOptions _options;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, WebhookTarget> _byDestination = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WebhookTarget[]> _byAccount = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, long> _versions = new();
    private readonly Lock _write = new();
    private Task? _load;
    private volatile bool _loaded;
    private DateTimeOffset _watermark = DateTimeOffset.MinValue;

    public WebhookTargets(IEnumerable<WebhookTarget> endpoints, Func<IActivitySubscriptionStore> store, WebhookSecretProtector protector, ActivityWebhookOptions options, TimeProvider time, ILogger logger)
    {
        _endpoints = [.. endpoints];
        _store = store;
        _protector = protector;
        _options = options.Subscriptions;
        _lease = options.LeaseDuration;
        _time = time;
        _logger = logger;
        foreach (var endpoint in _endpoints)
        {
            _byDestination[endpoint.Destination] = endpoint;
        }
    }

    /// <summary>The host-configured endpoints.</summary>
    public IReadOnlyList<WebhookTarget> Endpoints => _endpoints;

    /// <summary>How many subscriptions are loaded (enabled or not).</summary>
    public int SubscriptionCount => _versions.Count;

    public WebhookTarget? Find(string destination) => _byDestination.GetValueOrDefault(destination);

    public void Route(ActivityLogEvent activity, ICollection<string> destinations)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(destinations);
        if (!_loaded)
        {
            // An event written before the engine started (a seeding step before the host runs): load now, or the
            // account's subscriptions would silently miss it. Only the first events of a process ever take this path.
            try
            {
                LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
#pragma warning disable CA1031 // The store is down: route to what is known (host endpoints) and count what may be missed.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.RoutedBeforeLoad(_logger, exception, activity.Id);
            }
        }

        foreach (var endpoint in _endpoints)
        {
            if (endpoint.Filter.Accepts(activity.Name))
            {
                destinations.Add(endpoint.Destination);
            }
        }

        // An account's subscriptions receive only its own events; an event without an account goes to host endpoints only.
        if (activity.AccountId is { } account && _byAccount.TryGetValue(account, out var subscriptions))
        {
            foreach (var subscription in subscriptions)
            {
                if (subscription.Filter.Accepts(activity.Name))
                {
                    destinations.Add(subscription.Destination);
                }
            }
        }
    }

    /// <summary>Loads every subscription once (at start, or on the first routed event if that comes first); a failed load is tried again by the next call.</summary>
    public Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return Task.CompletedTask;
        }

        lock (_write)
        {
            if (_load is null || _load.IsFaulted || _load.IsCanceled)
            {
                _load = Task.Run(async () =>
                {
                    await PollAsync(CancellationToken.None).ConfigureAwait(false);
                    _loaded = true;
                }, CancellationToken.None);
            }

            return _load.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Applies what other processes changed since the last poll.</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        var since = _watermark == DateTimeOffset.MinValue ? DateTimeOffset.MinValue : _watermark - PollOverlap;
        var changed = await _store().ListChangedSinceAsync(since, cancellationToken).ConfigureAwait(false);
        foreach (var subscription in changed)
        {
            Apply(subscription);
            if (subscription.UpdatedAt > _watermark)
            {
                _watermark = subscription.UpdatedAt;
            }
        }
    }

    /// <summary>Applies one stored state of a subscription, unless a newer one is already applied.</summary>
    /// <returns>The target now in force, or <see langword="null"/> when the subscription is gone (deleted, unreadable).</returns>
    public WebhookTarget? Apply(ActivitySubscription subscription, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_write)
        {
            if (!force && _versions.TryGetValue(subscription.Id, out long known) && known >= subscription.Version)
            {
                return _byDestination.GetValueOrDefault(IWebhookDeliveryControl.DestinationOf(subscription.Id));
            }

            _versions[subscription.Id] = subscription.Version;
            string destination = IWebhookDeliveryControl.DestinationOf(subscription.Id);
            var target = subscription.DeletedAt is null ? Build(subscription) : null;
            if (target is null)
            {
                _byDestination.TryRemove(destination, out _);
            }
            else
            {
                _byDestination[destination] = target;
            }

            // Copy on write: Route reads an account's array without a lock.
            var current = _byAccount.GetValueOrDefault(subscription.AccountId) ?? [];
            var next = current.Where(t => t.Destination != destination).Concat(target is null ? [] : [target]).ToArray();
            if (next.Length == 0)
            {
                _byAccount.TryRemove(subscription.AccountId, out _);
            }
            else
            {
                _byAccount[subscription.AccountId] = next;
            }

            return target;
        }
    }

    /// <summary>Rebuilds a subscription's target whose rotated-out secret has expired (the signer must drop it).</summary>
    public WebhookTarget? Refresh(WebhookTarget target) =>
        target.Subscription is { } subscription ? Apply(subscription, force: true) : target;

    /// <summary>A target for the subscription with the secrets valid now, or <see langword="null"/> when they cannot be read (logged).</summary>
    public WebhookTarget? Build(ActivitySubscription subscription)
    {
        IReadOnlyList<WebhookSecret> secrets;
        try
        {
            secrets = _protector.Unprotect(subscription.ProtectedSecrets, _time.GetUtcNow());
        }
        catch (CryptographicException exception)
        {
            // The key ring lost the key (a new machine without the shared key store): deliveries cannot be signed.
            Log.SecretsUnreadable(_logger, exception, subscription.Id);
            return null;
        }

        if (secrets.Count == 0)
        {
            Log.SecretsUnreadable(_logger, null, subscription.Id);
            return null;
        }

        var expires = secrets.Where(s => s.ExpiresAt is not null).Select(s => s.ExpiresAt).Min();
        return WebhookTarget.ForSubscription(subscription, [.. secrets.Select(s => s.Value)], expires, _options, _lease);
    }
}

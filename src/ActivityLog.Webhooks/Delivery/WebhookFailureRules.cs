using System.Globalization;
using System.Threading.Channels;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Subscriptions;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>
/// What happens after each attempt to a subscription: the attempt joins its history (written in the background, in
/// batches, so a slot never waits for it), and the subscription's failure state moves — the first failure starts the
/// clock (<see cref="ActivitySubscription.FailingSince"/>), a success stops it, and continuous failure for
/// <see cref="WebhookSubscriptionOptions.DisableAfterFailingFor"/> (or a 410 Gone answer) disables the subscription,
/// records that in the account's activity log and tells the host (<see cref="IWebhookSubscriptionNotifications"/>).
/// Only transitions touch the store.
/// </summary>
internal sealed class WebhookFailureRules
{
    /// <summary>The actor of what the library does by itself: "ActivityLog disabled the webhook Logging after 5 days…".</summary>
    public static readonly ActivityActor LibraryActor = ActivityActor.System(WebhookActivities.SystemActorName);

    private const int HistoryCapacity = 10_000;
    private const int HistoryBatch = 256;

    private readonly WebhookTargets _targets;
    private readonly Func<IActivitySubscriptionStore> _store;
    private readonly IActivityRecorder _recorder;
    private readonly IWebhookSubscriptionNotifications[] _hooks;
    private readonly WebhookSubscriptionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<ActivityDeliveryAttempt> _history;
    private long _historyDropped;

    public WebhookFailureRules(
        WebhookTargets targets,
        Func<IActivitySubscriptionStore> store,
        IActivityRecorder recorder,
        IEnumerable<IWebhookSubscriptionNotifications> hooks,
        ActivityWebhookOptions options,
        TimeProvider time,
        ILogger logger)
    {
        _targets = targets;
        _store = store;
        _recorder = recorder;
        _hooks = [.. hooks];
        _options = options.Subscriptions;
        _time = time;
        _logger = logger;
        _history = Channel.CreateBounded<ActivityDeliveryAttempt>(
            new BoundedChannelOptions(HistoryCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite },
            _ => Interlocked.Increment(ref _historyDropped));
    }

    public static ActivityDeliveryAttempt AttemptOf(ActivitySubscription subscription, DeliveryResult result, bool isTest) => new()
    {
        Id = Guid.CreateVersion7(result.StartedAt),
        AccountId = subscription.AccountId,
        SubscriptionId = subscription.Id,
        MessageId = result.WebhookId,
        AttemptedAt = result.StartedAt,
        Attempt = result.Attempt,
        EventCount = result.EventCount,
        Succeeded = result.Succeeded,
        StatusCode = result.Status > 0 ? result.Status : null,
        Error = result.Succeeded ? null : Bound(result.Reason),
        Duration = result.Duration,
        ResponseExcerpt = string.IsNullOrEmpty(result.Excerpt) ? null : Bound(result.Excerpt),
        IsTest = isTest,
    };

    public async Task AfterAttemptAsync(WebhookTarget target, DeliveryResult result, CancellationToken cancellationToken)
    {
        if (target.Subscription is not { } subscription)
        {
            return;
        }

        _history.Writer.TryWrite(AttemptOf(subscription, result, isTest: false));
        if (result.Succeeded)
        {
            if (subscription.FailingSince is not null)
            {
                await ChangeAsync(subscription, s => s.FailingSince is null ? null : s with { FailingSince = null }, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var now = _time.GetUtcNow();
        if (result.Kind == OutcomeKind.Gone)
        {
            await DisableAsync(target, subscription, "gone", now, cancellationToken).ConfigureAwait(false);
        }
        else if (subscription.FailingSince is not { } since)
        {
            await ChangeAsync(subscription, s => s.FailingSince is null ? s with { FailingSince = result.StartedAt } : null, cancellationToken).ConfigureAwait(false);
        }
        else if (now - since >= _options.DisableAfterFailingFor)
        {
            await DisableAsync(target, subscription, "failing", now, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Keeps one attempt at once (a test event: the admin expects to see it listed when the call returns).</summary>
    public Task KeepNowAsync(ActivityDeliveryAttempt attempt, CancellationToken cancellationToken) =>
        _store().AddAttemptsAsync([attempt], cancellationToken);

    /// <summary>Writes the attempt history in batches and purges what is older than the retention, until stopped.</summary>
    public async Task RunHistoryAsync(CancellationToken stopping)
    {
        var batch = new List<ActivityDeliveryAttempt>(HistoryBatch);
        var nextPurge = _time.GetUtcNow();
        try
        {
            while (await _history.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                while (batch.Count < HistoryBatch && _history.Reader.TryRead(out var attempt))
                {
                    batch.Add(attempt);
                }

                await WriteHistoryAsync(batch, stopping).ConfigureAwait(false);
                if (_time.GetUtcNow() >= nextPurge)
                {
                    nextPurge = _time.GetUtcNow() + TimeSpan.FromHours(1);
                    await PurgeAsync(stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        // Stopping: what is already read is written (bounded by the host's stop), the rest is counted.
        while (batch.Count < HistoryBatch && _history.Reader.TryRead(out var left))
        {
            batch.Add(left);
        }

        await WriteHistoryAsync(batch, CancellationToken.None).ConfigureAwait(false);
        ReportDropped("stopped");
    }

    private async Task WriteHistoryAsync(List<ActivityDeliveryAttempt> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await _store().AddAttemptsAsync([.. batch], cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // History is for people; a store that is down must not hold back deliveries: count and go on.
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            Interlocked.Add(ref _historyDropped, batch.Count);
            Log.SubscriptionStateFailed(_logger, exception, batch[0].SubscriptionId);
        }

        batch.Clear();
        ReportDropped("history full or store failed");
    }

    private async Task PurgeAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            await _store().PurgeAsync(now - _options.AttemptRetention, now - TimeSpan.FromDays(1), cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The next purge tries again.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Log.SubscriptionPollFailed(_logger, exception, TimeSpan.FromHours(1));
        }
    }

    private void ReportDropped(string reason)
    {
        long dropped = Interlocked.Exchange(ref _historyDropped, 0);
        if (dropped > 0)
        {
            Log.AttemptsDropped(_logger, dropped, reason);
        }
    }

    private async Task DisableAsync(WebhookTarget target, ActivitySubscription subscription, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        target.Disable(); // at once in this process, whether or not the store is reachable
        var disabled = await ChangeAsync(subscription, s => s.Enabled ? s with { Enabled = false, DisabledReason = reason, UpdatedBy = null } : null, cancellationToken).ConfigureAwait(false);
        if (disabled is null)
        {
            return; // someone else disabled (or deleted) it meanwhile: they recorded it
        }

        var failingSince = disabled.FailingSince;
        Log.SubscriptionAutoDisabled(_logger, disabled.Id, failingSince ?? now);
        Record(disabled, reason, failingSince is { } f ? now - f : TimeSpan.Zero);
        var notice = new WebhookSubscriptionDisabled(disabled.AccountId, disabled.Id, disabled.Description, new Uri(disabled.Url).IdnHost, reason, failingSince, now);
        foreach (var hook in _hooks)
        {
            try
            {
                await hook.OnSubscriptionDisabledAsync(notice, cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The host's handler must not break delivery; it is logged.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.NotificationFailed(_logger, exception);
            }
        }
    }

    /// <summary>Records the disabling in the account's own activity log, as the library (a system actor).</summary>
    private void Record(ActivitySubscription subscription, string reason, TimeSpan failingFor)
    {
        if (reason == "gone")
        {
            WebhookActivities.RecordGone(_recorder, subscription);
        }
        else
        {
            WebhookActivities.RecordAutoDisabled(_recorder, subscription, failingFor);
        }
    }

    /// <summary>
    /// Applies <paramref name="change"/> (which returns <see langword="null"/> when there is nothing to do) to the stored
    /// subscription with optimistic concurrency, re-reading once on a conflict; the result is applied to routing at once.
    /// </summary>
    private async Task<ActivitySubscription?> ChangeAsync(ActivitySubscription known, Func<ActivitySubscription, ActivitySubscription?> change, CancellationToken cancellationToken)
    {
        try
        {
            ActivitySubscription? current = known;
            for (int round = 0; round < 3 && current is not null; round++)
            {
                if (change(current) is not { } next)
                {
                    return null;
                }

                next = next with { Version = current.Version + 1, UpdatedAt = _time.GetUtcNow() };
                if (await _store().UpdateAsync(next, current.Version, cancellationToken).ConfigureAwait(false))
                {
                    _targets.Apply(next);
                    return next;
                }

                current = await _store().FindAsync(known.AccountId, known.Id, cancellationToken).ConfigureAwait(false);
                if (current is not null)
                {
                    _targets.Apply(current);
                }
            }
        }
#pragma warning disable CA1031 // A store that is down: the state moves with the next attempt.
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            Log.SubscriptionStateFailed(_logger, exception, known.Id);
        }

        return null;
    }

    private static string Bound(string text) => text.Length <= ActivityDeliveryAttempt.MaxTextLength ? text : text[..ActivityDeliveryAttempt.MaxTextLength];
}

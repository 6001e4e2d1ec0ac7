using System.Collections.Concurrent;
using ActivityLog.Diagnostics;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>
/// The one delivery engine of the process: a scheduler that asks the outbox which destinations have work due, and a
/// bounded pool of delivery slots (<see cref="WebhookSubscriptionOptions.MaxConcurrentDeliveries"/>) that serve them.
/// No loop, timer or connection pool per endpoint: ten thousand subscriptions cost ten thousand small objects.
/// </summary>
/// <remarks>
/// <para>
/// Order and fairness: at most one batch in flight per destination (the outbox leaves a leased destination out of
/// its due list, across processes too); a slot delivers at most <see cref="Quantum"/> batches of one destination before
/// it goes back to the scheduler, which takes destinations by the time their work fell due, so a long backlog takes
/// its turn with the others instead of holding a slot; and one account holds at most
/// <see cref="WebhookSubscriptionOptions.MaxConcurrentDeliveriesPerAccount"/> slots.
/// </para>
/// <para>
/// Each subscription has a token bucket (<see cref="WebhookSubscriptionOptions.MaxRequestsPerSecond"/>), replenished by
/// this loop rather than by a timer per bucket.
/// </para>
/// </remarks>
internal sealed class WebhookDeliveryEngine
{
    /// <summary>How many batches of one destination a slot delivers before it lets the scheduler choose again.</summary>
    internal const int Quantum = 4;

    private static readonly TimeSpan OutboxFailureDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RateLimitedRetry = TimeSpan.FromMilliseconds(50);

    private readonly WebhookTargets _targets;
    private readonly IActivityOutbox _outbox;
    private readonly WebhookFailureRules _failures;
    private readonly ActivityWebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<WebhookDelivery> _newSlot;
    private readonly ConcurrentBag<WebhookDelivery> _idle = [];
    private readonly ConcurrentDictionary<string, byte> _busy = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _perAccount = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _coolingUntil = new(StringComparer.Ordinal);
    private readonly int _maxSlots;
    private readonly int _maxPerAccount;
    private int _running;
    private TaskCompletionSource _wakeup = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WebhookDeliveryEngine(
        WebhookTargets targets,
        IActivityOutbox outbox,
        ActivityOutboxSignal signal,
        WebhookFailureRules failures,
        ActivityWebhookOptions options,
        TimeProvider time,
        ILogger logger,
        Func<WebhookDelivery> newSlot)
    {
        _targets = targets;
        _outbox = outbox;
        _failures = failures;
        _options = options;
        _time = time;
        _logger = logger;
        _newSlot = newSlot;
        _maxSlots = options.Subscriptions.MaxConcurrentDeliveries;
        _maxPerAccount = options.Subscriptions.MaxConcurrentDeliveriesPerAccount;
        signal.Notified += Wake;
    }

    /// <summary>Deliveries in flight now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Wakes the scheduler: new work was written, a slot came free, a subscription changed.</summary>
    public void Wake() => Volatile.Read(ref _wakeup).TrySetResult();

    /// <summary>
    /// Schedules until <paramref name="stopping"/> is cancelled or, when <paramref name="draining"/> says so, nothing is
    /// due and nothing runs. <paramref name="abort"/> cancels attempts in flight (their leases then lapse).
    /// </summary>
    public async Task RunAsync(Func<bool> draining, CancellationToken stopping, CancellationToken abort)
    {
        ActivityLogTracing.DetachFromCaller();
        bool notified = false;
        while (!stopping.IsCancellationRequested)
        {
            var wakeup = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wakeup, wakeup);
            if (notified && Running == 0 && !draining())
            {
                // A lull's first events: let the batch fill instead of sending them one by one.
                await DelayAsync(BatchDelay(), stopping).ConfigureAwait(false);
            }

            ActivityOutboxDueList due;
            var now = _time.GetUtcNow();
            DateTimeOffset? wakeAt = null;
            int free = _maxSlots - Running;
            if (free > 0)
            {
                try
                {
                    due = await _outbox.ListDueAsync(Math.Min(10_000, free + _busy.Count + 16), abort).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (abort.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A store that is down must not end the engine: log, wait, try again.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    Log.OutboxFailed(_logger, exception, "(all)", OutboxFailureDelay);
                    await DelayAsync(OutboxFailureDelay, stopping).ConfigureAwait(false);
                    continue;
                }

                wakeAt = due.NextDueAt;
                foreach (string destination in due.Destinations)
                {
                    if (Running >= _maxSlots)
                    {
                        break;
                    }

                    if (Pick(destination, now, ref wakeAt) is { } target)
                    {
                        Start(target, abort);
                    }
                }

                if (draining() && Running == 0 && due.Destinations.Count == 0)
                {
                    return;
                }
            }

            var wait = _options.PollInterval;
            if (wakeAt is { } at)
            {
                var until = at - now;
                wait = until <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : until < wait ? until : wait;
            }

            notified = await WaitAsync(wakeup.Task, wait, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>The target to start on <paramref name="destination"/> now, or <see langword="null"/> to pass it over this round.</summary>
    private WebhookTarget? Pick(string destination, DateTimeOffset now, ref DateTimeOffset? wakeAt)
    {
        if (_busy.ContainsKey(destination) || _targets.Find(destination) is not { } target || target.IsDisabled)
        {
            // Busy in this process, unknown here (a removed endpoint's leftovers, a subscription deleted elsewhere), or disabled: its work waits.
            return null;
        }

        if (_coolingUntil.TryGetValue(destination, out var cooling))
        {
            if (cooling > now)
            {
                wakeAt = wakeAt is { } w && w < cooling ? w : cooling;
                return null;
            }

            _coolingUntil.TryRemove(destination, out _);
        }

        if (target.SecretsChangeAt is { } change && change <= now)
        {
            // A rotated-out secret expired: sign with the current one only from now on.
            if (_targets.Refresh(target) is not { } refreshed)
            {
                return null;
            }

            target = refreshed;
        }

        if (target.AccountId is { } account && _perAccount.GetValueOrDefault(account) >= _maxPerAccount)
        {
            return null; // this account has its share of the pool; a slot coming free wakes the scheduler
        }

        if (!TryTakeToken(target))
        {
            var retry = now + RateLimitedRetry;
            wakeAt = wakeAt is { } w2 && w2 < retry ? w2 : retry;
            return null;
        }

        return target;
    }

    private static bool TryTakeToken(WebhookTarget target)
    {
        if (target.RateLimiter is not { } limiter)
        {
            return true;
        }

        limiter.TryReplenish();
        using var lease = limiter.AttemptAcquire(1);
        return lease.IsAcquired;
    }

    private void Start(WebhookTarget target, CancellationToken abort)
    {
        _busy[target.Destination] = 0;
        if (target.AccountId is { } account)
        {
            _perAccount.AddOrUpdate(account, 1, static (_, n) => n + 1);
        }

        Interlocked.Increment(ref _running);
        var slot = _idle.TryTake(out var idle) ? idle : _newSlot();
        _ = Task.Run(() => RunSlotAsync(target, slot, abort), CancellationToken.None);
    }

    private async Task RunSlotAsync(WebhookTarget target, WebhookDelivery slot, CancellationToken abort)
    {
        try
        {
            for (int i = 0; i < Quantum; i++)
            {
                if (i > 0 && (target.IsDisabled || !TryTakeToken(target)))
                {
                    break;
                }

                var result = await slot.DeliverNextAsync(target, abort).ConfigureAwait(false);
                if (result is not { } delivered)
                {
                    break;
                }

                await _failures.AfterAttemptAsync(target, delivered, abort).ConfigureAwait(false);
                if (!delivered.Succeeded || delivered.EventCount < target.Claim.MaxEvents)
                {
                    break; // a failure waits for its retry time; a partial batch means the backlog is gone
                }
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Stopping: the batch's lease lapses and it comes back with the same id.
        }
#pragma warning disable CA1031 // The outcome could not be recorded (the store is down): the lease lapses, the batch comes back.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.OutboxFailed(_logger, exception, target.Name, OutboxFailureDelay);
            _coolingUntil[target.Destination] = _time.GetUtcNow() + OutboxFailureDelay;
        }
        finally
        {
            _busy.TryRemove(target.Destination, out _);
            if (target.AccountId is { } account)
            {
                _perAccount.AddOrUpdate(account, 0, static (_, n) => n - 1);
            }

            _idle.Add(slot);
            Interlocked.Decrement(ref _running);
            Wake();
        }
    }

    private TimeSpan BatchDelay()
    {
        // The subscriptions' delay counts only once there are subscriptions: a host with endpoints only keeps theirs.
        var delay = _targets.SubscriptionCount > 0 ? _options.Subscriptions.MaxBatchDelay : TimeSpan.Zero;
        foreach (var endpoint in _targets.Endpoints)
        {
            if (endpoint.BatchDelay > delay)
            {
                delay = endpoint.BatchDelay;
            }
        }

        return delay;
    }

    private async Task<bool> WaitAsync(Task wakeup, TimeSpan wait, CancellationToken stopping)
    {
        if (wakeup.IsCompleted)
        {
            return true;
        }

        try
        {
            await wakeup.WaitAsync(wait, _time, stopping).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Waits until every slot has ended (after <c>abort</c> or the end of a drain).</summary>
    public async Task WaitForSlotsAsync(TimeSpan timeout)
    {
        var until = _time.GetUtcNow() + timeout;
        while (Running > 0 && _time.GetUtcNow() < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System).ConfigureAwait(false);
        }
    }
}

using ActivityLog.Delivery;
using ActivityLog.Extensibility;
using ActivityLog.Health;
using ActivityLog.Webhooks.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>
/// Runs the webhooks package: loads the subscriptions, runs the one delivery engine, the subscription poll and the
/// attempt history, and drains the in-memory outbox on a graceful stop. It is also the run-time API of the host's
/// endpoints (<see cref="IActivityWebhooks"/>) and the engine's face to the subscription manager (<see cref="IWebhookDeliveryControl"/>).
/// </summary>
internal sealed partial class WebhookDeliveryService : IActivityWebhooks, IActivityOutboxHealthSource, IWebhookDeliveryControl, IActivityOutboxDropHandler, IHostedService, IAsyncDisposable, IDisposable
{
    private readonly IServiceProvider _services;
    private readonly ActivityWebhookOptions _options;
    private readonly ActivityOutboxSignal _signal;
    private readonly ActivityOutboxSelector _selector;
    private readonly TimeProvider _time;
    private readonly WebhookMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Lazy<WebhookDeliveryEngine> _engine;
    private volatile bool _draining;
    private Task[] _loops = [];
    private InMemoryOutboxSink? _sink;
    private TimeSpan _shutdownTimeout;
    private int _disposed;

    public WebhookDeliveryService(
        IServiceProvider services,
        IOptions<ActivityWebhookOptions> options,
        ActivityOutboxSignal signal,
        ActivityOutboxSelector selector,
        WebhookTargets targets,
        WebhookFailureRules failures,
        TimeProvider time,
        WebhookMetrics metrics,
        ILogger<WebhookDeliveryService> logger)
    {
        _services = services;
        _options = options.Value;
        _signal = signal;
        _selector = selector;
        Targets = targets;
        Failures = failures;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _engine = new(() => new WebhookDeliveryEngine(Targets, Outbox, _signal, Failures, _options, _time, _logger, NewSlot));
        foreach (var endpoint in Targets.Endpoints)
        {
            metrics.TrackDepth(endpoint.MetricName, () => Memory?.CountPending(endpoint.Destination) ?? 0);
        }
    }

    public WebhookTargets Targets { get; }

    public WebhookFailureRules Failures { get; }

    public IActivityOutbox Outbox => _selector.Outbox;

    /// <summary>The in-memory outbox, or <see langword="null"/> when a store's outbox is used.</summary>
    public InMemoryActivityOutbox? Memory => _selector.Memory;

    public WebhookDeliveryEngine Engine => _engine.Value;

    /// <summary>The host endpoints' destinations, for the health check.</summary>
    public IReadOnlyList<string> Destinations => [.. Targets.Endpoints.Select(e => e.Destination)];

    public IReadOnlyList<string> Endpoints => [.. Targets.Endpoints.Select(e => e.Name)];

    public WebhookDelivery NewSlot() => new(Outbox, Memory, _services.GetRequiredService<IHttpClientFactory>(), _options, _time, _metrics, _logger);

    public void Dropped(string destination, long count, string reason)
    {
        string name = Targets.Find(destination)?.Name ?? destination;
        _metrics.Dropped(Targets.Find(destination)?.MetricName ?? WebhookTarget.SubscriptionsMetricName, count, reason);
        Log.Dropped(_logger, name, count, reason);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_loops.Length > 0)
        {
            return;
        }

        // Resolved now, not at stop: a host may dispose its container while another StopAsync of it still runs (a
        // minimal-hosting app stopped by its test factory and by its own Run at once), and a stop must still complete.
        _sink = _services.GetService<InMemoryOutboxSink>();
        _shutdownTimeout = _options.ShutdownTimeout ?? _services.GetRequiredService<IOptions<ActivityLogOptions>>().Value.ShutdownTimeout;

        foreach (var endpoint in Targets.Endpoints)
        {
            // Once, so that operators can tell endpoints apart: the host only, as every other line names the endpoint by name.
            Log.EndpointHost(_logger, endpoint.Name, endpoint.Url.IdnHost);
        }

        try
        {
            await Targets.LoadAsync(cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A store that is down at start: the poll loads the subscriptions as soon as it answers.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Log.SubscriptionPollFailed(_logger, exception, _options.Subscriptions.RefreshInterval);
        }

        var engine = Engine;
        _loops =
        [
            Task.Run(() => engine.RunAsync(() => _draining, _stopping.Token, _abort.Token), CancellationToken.None),
            Task.Run(() => PollSubscriptionsAsync(_stopping.Token), CancellationToken.None),
            Task.Run(() => Failures.RunHistoryAsync(_stopping.Token), CancellationToken.None),
        ];
        Log.Started(_logger, Targets.Endpoints.Count + Targets.SubscriptionCount, Memory is null ? Outbox.GetType().Name : "memory (no store: best effort across crashes)");
    }

    private async Task PollSubscriptionsAsync(CancellationToken stopping)
    {
        var interval = _options.Subscriptions.RefreshInterval;
        while (!stopping.IsCancellationRequested)
        {
            await Task.Delay(interval, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Targets.LoadAsync(stopping).ConfigureAwait(false);
                await Targets.PollAsync(stopping).ConfigureAwait(false);
                Engine.Wake(); // an enabled or new subscription may have work waiting
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Keep polling: the store may come back.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.SubscriptionPollFailed(_logger, exception, interval);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loops.Length == 0)
        {
            try
            {
                _services.GetService<InMemoryOutboxSink>()?.Accepting = false;
            }
            catch (ObjectDisposedException)
            {
                // The container is gone: nothing can reach the sink any more either.
            }

            return;
        }

        var sink = _sink;
        var timeout = _shutdownTimeout;
        using var drainTimeout = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(drainTimeout.Token, cancellationToken);
        var engineLoop = _loops[0];
        try
        {
            if (Memory is not null)
            {
                // Hosted services stop in reverse order, so the dispatcher still runs: hand its queue to our sink
                // first, then deliver everything that is due before the engine ends.
                await FlushDispatcherAsync(linked.Token).ConfigureAwait(false);
                sink?.Accepting = false;
                _draining = true;
                Engine.Wake();
                await engineLoop.WaitAsync(linked.Token).ConfigureAwait(false);
                await Engine.WaitForSlotsAsync(timeout).ConfigureAwait(false);
            }
            else
            {
                // Durable: the work stays in the store. Let in-flight requests finish, claim nothing new.
                await _stopping.CancelAsync().ConfigureAwait(false);
                await engineLoop.WaitAsync(linked.Token).ConfigureAwait(false);
                await Engine.WaitForSlotsAsync(timeout).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await Engine.WaitForSlotsAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        sink?.Accepting = false;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (Memory is { } memory)
        {
            foreach (var endpoint in Targets.Endpoints)
            {
                long left = memory.CountPending(endpoint.Destination);
                if (left > 0)
                {
                    _metrics.Dropped(endpoint.MetricName, left, "shutdown");
                    Log.DroppedAtStop(_logger, left, endpoint.Name);
                }
            }

            long subscriptionsLeft = memory.CountPendingExcept(Targets.Endpoints.Select(e => e.Destination));
            if (subscriptionsLeft > 0)
            {
                _metrics.Dropped(WebhookTarget.SubscriptionsMetricName, subscriptionsLeft, "shutdown");
                Log.DroppedAtStop(_logger, subscriptionsLeft, WebhookTarget.SubscriptionsMetricName);
            }
        }
    }

    private async Task FlushDispatcherAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _services.GetRequiredService<IActivityDispatcher>().FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The dispatcher never started (a host that failed to start): there is nothing queued to hand over.
        }
    }

    // The token sources are cancelled, not disposed: the container may dispose this service while a stop of the same
    // host still runs and cancels them (plain sources, no timer or wait handle, hold nothing that needs freeing).
    public async ValueTask DisposeAsync()
    {
        // Disposed more than once by the container: once per interface it is registered as.
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _abort.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// For a container disposed synchronously (<c>using var provider = services.BuildServiceProvider()</c>), which would
    /// otherwise throw because this service is only asynchronously disposable.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            _abort.Cancel();
        }
    }
}

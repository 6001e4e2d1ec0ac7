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
/// Owns the endpoints and their workers, and picks the outbox once: a store's <see cref="IActivityOutbox"/> when one
/// is registered (durable: entries are written with the events), else the package's in-memory one (fed by
/// <see cref="WebhookActivitySink"/>, best effort across crashes, drained on a graceful stop).
/// </summary>
internal sealed class WebhookDeliveryService : IActivityWebhooks, IActivityOutboxHealthSource, IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly ActivityWebhookOptions _options;
    private readonly ActivityOutboxSignal _signal;
    private readonly TimeProvider _time;
    private readonly WebhookMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lazy<(IActivityOutbox Outbox, InMemoryActivityOutbox? Memory)> _outbox;
    private readonly Dictionary<string, WebhookEndpoint> _endpoints;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private volatile bool _draining;
    private volatile bool _stopped;
    private Task[] _workers = [];
    private int _disposed;

    public WebhookDeliveryService(
        IServiceProvider services,
        IOptions<ActivityWebhookOptions> options,
        ActivityOutboxSignal signal,
        TimeProvider time,
        WebhookMetrics metrics,
        ILogger<WebhookDeliveryService> logger)
    {
        _services = services;
        _options = options.Value;
        _signal = signal;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        var lease = _options.LeaseDuration;
        _endpoints = _options.Endpoints
            .Where(e => e.Value.Enabled)
            .ToDictionary(e => e.Key, e => new WebhookEndpoint(e.Key, e.Value, lease), StringComparer.OrdinalIgnoreCase);
        Active = [.. _endpoints.Values];
        // Resolved on first use, not here: a store's outbox may depend on services that depend on the sinks.
        _outbox = new(() =>
        {
            var store = services.GetServices<IActivityOutbox>().LastOrDefault();
            if (store is not null)
            {
                return (store, null);
            }

            var memory = new InMemoryActivityOutbox(time, _options.InMemoryCapacity);
            return (memory, memory);
        });
    }

    /// <summary>The enabled endpoints, for the sink's routing.</summary>
    public WebhookEndpoint[] Active { get; }

    /// <summary>The in-memory outbox, or <see langword="null"/> when a store's outbox is used (then the sink does nothing).</summary>
    public InMemoryActivityOutbox? Memory => _outbox.Value.Memory;

    public IActivityOutbox Outbox => _outbox.Value.Outbox;

    /// <summary>The enabled endpoints' destinations, for the health check.</summary>
    public IReadOnlyList<string> Destinations => [.. Active.Select(e => e.Destination)];

    public IReadOnlyList<string> Endpoints => [.. _endpoints.Keys];

    /// <summary>Whether new events are still accepted into the in-memory outbox.</summary>
    public bool Accepting => !_stopped;

    public void CountDropped(WebhookEndpoint endpoint, long count, string reason)
    {
        _metrics.Dropped(endpoint.Name, count, reason);
        Log.Dropped(_logger, endpoint.Name, count, reason);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_workers.Length > 0 || Active.Length == 0)
        {
            return Task.CompletedTask;
        }

        var (outbox, memory) = _outbox.Value;
        if (memory is null)
        {
            // With a store, entries are written only for registered subscribers: an endpoint without one would silently get nothing.
            var destinations = _services.GetServices<IActivityOutboxSubscriber>().Select(s => s.Destination).ToHashSet(StringComparer.Ordinal);
            var missing = Active.Where(e => !destinations.Contains(e.Destination)).Select(e => e.Name).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException(
                    $"ActivityLog webhooks: the endpoint(s) {string.Join(", ", missing)} have no outbox subscriber, so the store would write no deliveries for them. " +
                    "Endpoints added after AddWebhooks ran (for example from a configuration source that AddWebhooks could not see) must be named when AddWebhooks runs: " +
                    "pass the configuration section with AddWebhooks(configuration) or declare the endpoint in its callback.");
            }
        }

        // Once, so that operators can tell endpoints apart: the host only, as every other line names the endpoint by name.
        foreach (var endpoint in Active)
        {
            Log.EndpointHost(_logger, endpoint.Name, endpoint.Url.IdnHost);
        }

        var clients = _services.GetRequiredService<IHttpClientFactory>();
        _workers = [.. Active.Select(endpoint =>
        {
            var worker = new WebhookWorker(endpoint, outbox, memory, _signal, clients, _options, _time, _metrics, _logger);
            return Task.Run(() => worker.RunAsync(() => _draining, _stopping.Token, _abort.Token), CancellationToken.None);
        })];
        Log.Started(_logger, _workers.Length, memory is null ? outbox.GetType().Name : "memory (no store: best effort across crashes)");
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_workers.Length == 0)
        {
            _stopped = true;
            return;
        }

        var timeout = _options.ShutdownTimeout ?? _services.GetRequiredService<IOptions<ActivityLogOptions>>().Value.ShutdownTimeout;
        using var drainTimeout = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(drainTimeout.Token, cancellationToken);
        try
        {
            if (Memory is not null)
            {
                // Hosted services stop in reverse order, so the dispatcher still runs: hand its queue to our sink
                // first, then deliver everything that is due before the workers end.
                await FlushDispatcherAsync(linked.Token).ConfigureAwait(false);
                _stopped = true;
                _draining = true;
                _signal.Notify();
            }
            else
            {
                // Durable: the work stays in the store. Let in-flight requests finish, claim nothing new.
                _stopped = true;
                await _stopping.CancelAsync().ConfigureAwait(false);
            }

            await Task.WhenAll(_workers).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _stopped = true;
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _abort.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(5), _time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (Memory is { } memory)
        {
            foreach (var endpoint in Active)
            {
                long left = memory.CountPending(endpoint.Destination);
                if (left > 0)
                {
                    _metrics.Dropped(endpoint.Name, left, "shutdown");
                    Log.DroppedAtStop(_logger, left, endpoint.Name);
                }
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

    public async ValueTask DisposeAsync()
    {
        // Disposed twice by the container: once as itself, once as the IActivityWebhooks it also is.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _abort.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _abort.Dispose();
    }

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

    private WebhookEndpoint Find(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return _endpoints.TryGetValue(endpoint, out var found)
            ? found
            : throw new ArgumentException($"No enabled webhook endpoint is named '{endpoint}'.", nameof(endpoint));
    }
}

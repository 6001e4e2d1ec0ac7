using System.Diagnostics;
using ActivityLog.Diagnostics;
using ActivityLog.Extensibility;
using ActivityLog.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.Pipeline;

/// <summary>
/// Drains the queue in batches: processes each batch once, then hands it to every sink's own queue
/// (<see cref="SinkWorker"/>), so a sink that fails or stalls holds back only itself. Runs as a hosted service; a
/// graceful stop drains what is queued into every sink, bounded by the shutdown timeout.
/// </summary>
/// <remarks>
/// Invariants: every event taken from the queue ends, for each sink, in exactly one count (delivered, quarantined, or
/// dropped with a reason); a flush marker completes only after every event queued before it was settled by every
/// sink; after <see cref="StopAsync"/> the queue accepts nothing and whatever the drain could not deliver is counted
/// once.
/// </remarks>
internal sealed class ActivityDispatcher : IActivityDispatcher, IHostedService, IAsyncDisposable, IDisposable
{
    private readonly ActivityQueue _queue;
    private readonly IActivityLogEventProcessor _processor;
    private SinkWorker[] _sinks;
    private readonly ActivityLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly Shared _shared;
    private readonly Lock _settle = new();
    private CancellationTokenSource? _batchDelay;
    private int _pendingFlushes;
    private int _wakeRequested;
    private Task? _loop;
    private int _inFlight;
    private bool _stopped;
    private readonly TaskCompletionSource _stopCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ActivityDispatcher(
        ActivityQueue queue,
        IActivityLogEventProcessor processor,
        IEnumerable<IActivitySink> sinks,
        IOptions<ActivityLogOptions> options,
        TimeProvider time,
        ActivityLogMetrics metrics,
        IActivityQuarantine quarantine,
        ILogger<ActivityDispatcher> logger)
    {
        _queue = queue;
        _processor = processor;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue.AttachMetrics(metrics);
        _queue.Full = RequestWake;
        _shared = new Shared(_options, queue, metrics, quarantine, time, logger, _abort);
        _sinks = [.. sinks.Select(sink => new SinkWorker(sink, sink is INamedSink named ? named.Name : sink.GetType().Name, _shared))];
    }

    public int QueueDepth => _queue.Count;

    public long DroppedCount => _queue.DroppedCount;

    public long QuarantinedCount => Interlocked.Read(ref _shared.QuarantinedCount);

    /// <summary>The queue, for the health check (depth, capacity, drops per reason).</summary>
    internal ActivityQueue Queue => _queue;

    /// <summary>The sinks whose last write failed, by name, for the health check.</summary>
    internal IReadOnlyList<string> FailingSinks => [.. _sinks.Where(s => s.IsFailing).Select(s => s.Name)];

    /// <summary>Whether the dispatcher is running (started and not stopped).</summary>
    internal bool IsRunning => _loop is not null && !_queue.IsClosed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_loop is null)
        {
            // Asked now, not at construction: whether a sink has work may depend on services resolved after the sinks.
            _sinks = [.. _sinks.Where(s => s.IsNeeded)];
            foreach (var sink in _sinks)
            {
                sink.Start();
            }

            _loop = Task.Run(RunAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Complete();
        Interlocked.Exchange(ref _batchDelay, null)?.Cancel();
        if (_loop is null)
        {
            CountLeftovers();
            _stopCompleted.TrySetResult();
            return;
        }

        // Drain until the queue and every sink's queue are empty, the shutdown timeout passes, or the host gives up.
        var all = Task.WhenAll([_loop, .. _sinks.Select(s => s.Completion)]);
        using var drainTimeout = new CancellationTokenSource(_options.ShutdownTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(drainTimeout.Token, cancellationToken);
        try
        {
            await all.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            // A sink that ignores cancellation must not hold the host's shutdown: give the loops a short grace.
            await Task.WhenAny(all, Task.Delay(AbortGrace, _time, CancellationToken.None)).ConfigureAwait(false);
        }

        // Whatever is still unsettled is counted once, here; a loop that finishes later counts nothing more.
        int inFlight;
        lock (_settle)
        {
            _stopped = true;
            inFlight = _inFlight;
            _inFlight = 0;
        }

        _queue.CountDropped(inFlight, DropReasons.Shutdown);
        CountLeftovers();
        foreach (var sink in _sinks)
        {
            sink.Abandon();
        }

        _stopCompleted.TrySetResult();
    }

    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(1);

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is null)
        {
            throw new InvalidOperationException("The ActivityLog dispatcher is not running: start the host before flushing.");
        }

        var marker = new ActivityLogEvent { Name = "activity_log.flush.marker", FlushCompletion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        Interlocked.Increment(ref _pendingFlushes);
        // Cut the batch delay short before waiting for room: with a full queue, the marker only gets in once the
        // dispatcher drains, and it must not sit out its delay first.
        RequestWake();
        bool queued;
        try
        {
            queued = await _queue.EnqueueMarkerAsync(marker, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _pendingFlushes);
            throw;
        }

        if (!queued)
        {
            Interlocked.Decrement(ref _pendingFlushes);
            // Stopped: the stop delivers (or counts) everything, every sink's queue included, so waiting for it is the flush.
            await _stopCompleted.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        // No second wake here: until the marker is processed, the pending count keeps every batch delay short.
        await marker.FlushCompletion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            // A container disposed synchronously still drains (or counts) what was queued.
            StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    private bool _disposed;

    private async Task RunAsync()
    {
        ActivityLogTracing.DetachFromCaller();
        try
        {
            await DrainAsync().ConfigureAwait(false);
        }
        finally
        {
            // No more batches: each sink's loop ends once it has settled what it holds.
            foreach (var sink in _sinks)
            {
                sink.Complete();
            }
        }
    }

    private async Task DrainAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<ActivityLogEvent>(_options.MaxBatchSize);
        var flushes = new List<TaskCompletionSource>();
        bool lastBatchFull = false;
        while (true)
        {
            try
            {
                if (!await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!lastBatchFull)
            {
                await WaitForBatchToFillAsync().ConfigureAwait(false);
            }

            // Taken under the settle lock: once the stop has counted what is left, nothing more is taken.
            lock (_settle)
            {
                if (_stopped)
                {
                    return;
                }

                while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
                {
                    if (item.FlushCompletion is { } flush)
                    {
                        // Everything queued before the marker is in this batch: complete the flush once every sink settled it.
                        flushes.Add(flush);
                        break;
                    }

                    batch.Add(item);
                }

                _inFlight = batch.Count;
            }

            // Skip the next batch delay only when more is already waiting: that is load, not a lull.
            lastBatchFull = batch.Count == _options.MaxBatchSize && reader.TryPeek(out _);
            try
            {
                await DeliverAsync(batch).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The loop must outlive any failure; the batch is counted, never silently lost.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.DispatcherFailed(_logger, exception);
                if (TakeInFlight() is > 0 and int lost)
                {
                    _queue.CountDropped(lost, DropReasons.PipelineFailed);
                }
            }

            batch.Clear();
            foreach (var flush in flushes)
            {
                Interlocked.Decrement(ref _pendingFlushes);
                PassFlush(flush);
            }

            flushes.Clear();
        }
    }

    /// <summary>Takes the count of the dispatcher's own unsettled batch (0 once the stop counted it).</summary>
    private int TakeInFlight()
    {
        lock (_settle)
        {
            int count = _inFlight;
            _inFlight = 0;
            return count;
        }
    }

    /// <summary>Sends a flush through every sink's queue; it completes when every sink reached it.</summary>
    private void PassFlush(TaskCompletionSource flush)
    {
        if (_sinks.Length == 0)
        {
            flush.TrySetResult();
            return;
        }

        var reached = new Task[_sinks.Length];
        for (int i = 0; i < _sinks.Length; i++)
        {
            var sinkFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _sinks[i].PostFlush(sinkFlush);
            reached[i] = sinkFlush.Task;
        }

        _ = Task.WhenAll(reached).ContinueWith(static (_, state) => ((TaskCompletionSource)state!).TrySetResult(), flush, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task WaitForBatchToFillAsync()
    {
        if (_options.BatchDelay <= TimeSpan.Zero || _queue.IsClosed)
        {
            return;
        }

        // Publish the delay's token, then check for a wake request (both Interlocked: full fences). A flush or a
        // writer that found the queue full sets the request, then cancels whatever token it sees: so either it
        // sees ours and cancels it, or we see its request and skip the delay. The source is never disposed: it owns
        // no timer, and a writer may still cancel it after the delay ended.
        var delay = new CancellationTokenSource();
        Interlocked.Exchange(ref _batchDelay, delay);
        if (Interlocked.Exchange(ref _wakeRequested, 0) == 0 && Volatile.Read(ref _pendingFlushes) == 0 && !_queue.IsClosed)
        {
            await Task.Delay(_options.BatchDelay, _time, delay.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // A request that cut this delay short is served by the drain that follows: clear it, or it would skip
            // the next delay too and wake the dispatcher per event in the next lull.
            Interlocked.Exchange(ref _wakeRequested, 0);
        }

        Interlocked.CompareExchange(ref _batchDelay, null, delay);
    }

    /// <summary>Ends the current batch delay, or the next one before it starts.</summary>
    private void RequestWake()
    {
        Interlocked.Exchange(ref _wakeRequested, 1);
        Volatile.Read(ref _batchDelay)?.Cancel();
    }

    private async Task DeliverAsync(List<ActivityLogEvent> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        int taken = batch.Count;
        // One span per batch: processing and the hand-over to every sink; each sink's write is a child span.
        using var span = ActivityLogTracing.Source.StartActivity(ActivityLogTracing.DispatchSpan);
        span?.SetTag(ActivityLogTracing.BatchSizeTag, taken);
        try
        {
            await _processor.ProcessAsync(batch, _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            span?.SetTag(ActivityLogTracing.OutcomeTag, "shutdown");
            return; // The stop counts the batch in flight.
        }
        catch (Exception exception) when (span is not null)
        {
            ActivityLogTracing.Failed(span, "failed", exception);
            throw;
        }

        // The gate removed (and counted) some events; the processor dropped (and counted) any it could not process.
        var processed = batch.ToArray();
        if (TakeInFlight() != taken)
        {
            return; // The stop counted this batch already: posting it now would count it twice.
        }

        if (processed.Length == 0)
        {
            return;
        }

        // Every sink gets the same array: sinks treat events as read-only, and the array is never reused.
        var trace = span?.Context ?? default;
        foreach (var sink in _sinks)
        {
            await sink.PostAsync(processed, trace).ConfigureAwait(false);
        }

        span?.SetTag(ActivityLogTracing.OutcomeTag, "dispatched");
    }

    private void CountLeftovers()
    {
        long left = 0;
        while (_queue.Reader.TryRead(out var item))
        {
            if (item.FlushCompletion is { } flush)
            {
                flush.TrySetResult();
            }
            else
            {
                left++;
            }
        }

        _queue.CountDropped(left, DropReasons.Shutdown);
    }

    /// <summary>What the dispatcher shares with its sink workers.</summary>
    internal sealed class Shared(
        ActivityLogOptions options, ActivityQueue queue, ActivityLogMetrics metrics, IActivityQuarantine quarantine, TimeProvider time, ILogger logger, CancellationTokenSource abort)
    {
        public long QuarantinedCount;

        public ActivityLogOptions Options { get; } = options;

        public ActivityQueue Queue { get; } = queue;

        public ActivityLogMetrics Metrics { get; } = metrics;

        public IActivityQuarantine Quarantine { get; } = quarantine;

        public TimeProvider Time { get; } = time;

        public ILogger Logger { get; } = logger;

        public CancellationToken Abort => abort.Token;
    }
}

using ActivityLog.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace ActivityLog.Pipeline;

/// <summary>
/// Drains the queue in batches: processes each batch once, then hands it to every sink, each behind its own retry
/// with back-off. Runs as a hosted service; a graceful stop drains what is queued, bounded by the shutdown timeout.
/// </summary>
/// <remarks>
/// Invariants: every event taken from the queue is delivered to each sink or counted as dropped for it; a flush
/// marker completes only after every event queued before it; after <see cref="StopAsync"/> the queue accepts nothing
/// and whatever the drain could not deliver is counted.
/// </remarks>
internal sealed class ActivityDispatcher : IActivityDispatcher, IHostedService, IAsyncDisposable, IDisposable
{
    private readonly ActivityQueue _queue;
    private readonly IActivityEventProcessor _processor;
    private readonly SinkChannel[] _sinks;
    private readonly ActivityLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ActivityLogMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private CancellationTokenSource? _batchDelay;
    private int _pendingFlushes;
    private int _wakeRequested;
    private Task? _loop;
    private int _inFlight;

    public ActivityDispatcher(
        ActivityQueue queue,
        IActivityEventProcessor processor,
        IEnumerable<IActivitySink> sinks,
        IOptions<ActivityLogOptions> options,
        TimeProvider time,
        ActivityLogMetrics metrics,
        ILogger<ActivityDispatcher> logger)
    {
        _queue = queue;
        _processor = processor;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _queue.AttachMetrics(metrics);
        _queue.Full = RequestWake;
        _sinks = [.. sinks.Select(sink =>
        {
            string name = sink is INamedSink named ? named.Name : sink.GetType().Name;
            return new SinkChannel(sink, name, CreateRetry(name));
        })];
    }

    public int QueueDepth => _queue.Count;

    public long DroppedCount => _queue.DroppedCount;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop ??= Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Complete();
        Interlocked.Exchange(ref _batchDelay, null)?.Cancel();
        if (_loop is null)
        {
            CountLeftovers();
            return;
        }

        // Drain until the queue is empty, the shutdown timeout passes, or the host gives up on us.
        using var drainTimeout = new CancellationTokenSource(_options.ShutdownTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(drainTimeout.Token, cancellationToken);
        try
        {
            await _loop.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            // A sink that ignores cancellation must not hold the host's shutdown: give the loop a short grace.
            await Task.WhenAny(_loop, Task.Delay(AbortGrace, _time, CancellationToken.None)).ConfigureAwait(false);
        }

        if (_loop.IsCompleted)
        {
            CountLeftovers();
        }
        else
        {
            // The loop is the channel's only reader, so the queue is counted, not read.
            _queue.CountDropped(_queue.Count + Volatile.Read(ref _inFlight), DropReasons.Shutdown);
        }
    }

    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(1);

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is null)
        {
            throw new InvalidOperationException("The ActivityLog dispatcher is not running: start the host before flushing.");
        }

        var marker = new ActivityEvent { Name = "activity_log.flush.marker", FlushCompletion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
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
            // Stopped: the drain delivers (or counts) everything, so waiting for it is the flush.
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
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
        var reader = _queue.Reader;
        var batch = new List<ActivityEvent>(_options.MaxBatchSize);
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

            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
            {
                if (item.FlushCompletion is { } flush)
                {
                    // Everything queued before the marker is in this batch: complete the flush once it is delivered.
                    flushes.Add(flush);
                    break;
                }

                batch.Add(item);
            }

            // Skip the next batch delay only when more is already waiting: that is load, not a lull.
            lastBatchFull = batch.Count == _options.MaxBatchSize && reader.TryPeek(out _);
            Volatile.Write(ref _inFlight, batch.Count);
            try
            {
                await DeliverAsync(batch).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The loop must outlive any failure; the batch is counted, never silently lost.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.DispatcherFailed(_logger, exception);
                _queue.CountDropped(batch.Count, DropReasons.PipelineFailed);
            }

            batch.Clear();
            Volatile.Write(ref _inFlight, 0);
            foreach (var flush in flushes)
            {
                Interlocked.Decrement(ref _pendingFlushes);
                flush.TrySetResult();
            }

            flushes.Clear();
        }
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

    private async Task DeliverAsync(List<ActivityEvent> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await _processor.ProcessAsync(batch, _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            _queue.CountDropped(batch.Count, DropReasons.Shutdown);
            return;
        }

        if (batch.Count == 0)
        {
            return;
        }

        if (_sinks.Length == 1)
        {
            await _sinks[0].WriteAsync(batch, this).ConfigureAwait(false);
            return;
        }

        var writes = new Task[_sinks.Length];
        for (int i = 0; i < _sinks.Length; i++)
        {
            writes[i] = _sinks[i].WriteAsync(batch, this);
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    private ResiliencePipeline CreateRetry(string sinkName)
    {
        var retry = _options.SinkRetry;
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (retry.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetryAttempts,
                Delay = retry.Delay,
                MaxDelay = retry.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                // A timeout inside a sink (TaskCanceledException from HttpClient, say) is a failure to retry; only our
                // own cancellation at shutdown ends the retries.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e &&
                    !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
                OnRetry = args =>
                {
                    _metrics.SinkFailed(sinkName);
                    Log.SinkRetrying(_logger, args.Outcome.Exception!, sinkName, args.Context.Properties.GetValue(BatchSize, 0), args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    private static readonly ResiliencePropertyKey<int> BatchSize = new("activitylog.batch_size");

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

    /// <summary>One sink with its retry pipeline.</summary>
    private sealed class SinkChannel(IActivitySink sink, string name, ResiliencePipeline retry)
    {
        private readonly string _name = name;

        public async Task WriteAsync(List<ActivityEvent> batch, ActivityDispatcher owner)
        {
            var context = ResilienceContextPool.Shared.Get(owner._abort.Token);
            context.Properties.Set(BatchSize, batch.Count);
            try
            {
                await retry.ExecuteAsync(
                    static async (ctx, state) => await state.sink.WriteBatchAsync(state.batch, ctx.CancellationToken).ConfigureAwait(false),
                    context,
                    (sink, batch)).ConfigureAwait(false);
                owner._metrics.Delivered(batch.Count, _name);
            }
            catch (OperationCanceledException) when (owner._abort.IsCancellationRequested)
            {
                owner._queue.CountDropped(batch.Count, DropReasons.Shutdown, _name);
            }
#pragma warning disable CA1031 // A sink's last failure is counted and logged, never thrown into the dispatcher.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                owner._metrics.SinkFailed(_name);
                Log.SinkGaveUp(owner._logger, exception, _name, batch.Count, owner._options.SinkRetry.MaxRetryAttempts + 1);
                owner._queue.CountDropped(batch.Count, DropReasons.SinkFailed, _name);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
    }
}

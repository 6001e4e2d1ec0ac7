using System.Diagnostics;
using System.Threading.Channels;
using ActivityLog.Diagnostics;
using ActivityLog.Extensibility;
using ActivityLog.Internal;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ActivityLog.Pipeline;

/// <summary>
/// One sink with its own queue, loop and retry state (as Serilog gives each batched sink its own): a sink that fails
/// for minutes holds back only itself. A batch that fails with <see cref="ActivityLogEventRejectedException"/> is split
/// until the failing event is alone; the others are written and that one is quarantined. Any other failure is retried
/// with back-off, and after the last retry the batch is counted as dropped for this sink.
/// </summary>
/// <remarks>
/// Accounting invariant: every event posted here ends in exactly one of delivered, quarantined or dropped (with a
/// reason), for this sink. Outcomes are settled under one lock, so a shutdown that gives up on the batch in flight
/// (<see cref="Abandon"/>) and a sink that finishes it late cannot both count it.
/// </remarks>
// The semaphore is never disposed: it owns no wait handle unless AvailableWaitHandle is read, and a stuck sink's loop
// may still release it after the host stopped.
#pragma warning disable CA1001
internal sealed class SinkWorker
#pragma warning restore CA1001
{
    private static readonly ResiliencePropertyKey<int> BatchSize = new("activitylog.batch_size");

    private readonly IActivitySink _sink;
    private readonly ResiliencePipeline _retry;
    private readonly ActivityDispatcher.Shared _shared;
    private readonly Channel<Item> _channel = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    // At most one permit: a wake-up for the dispatcher waiting for room, which re-checks the count (never a count of slots).
    private readonly SemaphoreSlim _room = new(0, 1);
    private readonly Lock _settle = new();
    private long _queued;
    private int _inFlight;
    private bool _abandoned;
    private volatile bool _failing;
    // For the health check only: also set when a sink without retries fails, which must not change back-pressure.
    private volatile bool _lastWriteFailed;
    private Task? _loop;

    public SinkWorker(IActivitySink sink, string name, ActivityDispatcher.Shared shared)
    {
        _sink = sink;
        Name = name;
        _shared = shared;
        _retry = CreateRetry();
    }

    public string Name { get; }

    /// <summary>Whether the sink has work in this app (see <see cref="IConditionalSink"/>).</summary>
    public bool IsNeeded => IConditionalSink.Needed(_sink);

    /// <summary>Whether the sink's last write failed (it is retrying, or gave up on its last batch) and none succeeded since.</summary>
    public bool IsFailing => _failing || _lastWriteFailed;

    public Task Completion => _loop ?? Task.CompletedTask;

    public void Start() => _loop ??= Task.Run(RunAsync, CancellationToken.None);

    /// <summary>
    /// Queues a processed batch. Waits for room while this sink keeps up (back-pressure); while it is failing, drops
    /// what does not fit and counts it (<c>sink_queue_full</c>).
    /// </summary>
    public async ValueTask PostAsync(ActivityLogEvent[] batch, ActivityContext trace = default)
    {
        int capacity = _shared.Options.SinkQueueCapacity ?? _shared.Options.QueueCapacity;
        if (Interlocked.Read(ref _queued) + batch.Length > capacity && Interlocked.Read(ref _queued) > 0)
        {
            // A sink that keeps up gets back-pressure, bounded: one that stalls without failing must not hold the
            // dispatcher (and so every other sink) for longer than SinkQueueFullTimeout.
            using var timeout = new CancellationTokenSource(_shared.Options.SinkQueueFullTimeout, _shared.Time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _shared.Abort);
            while (Interlocked.Read(ref _queued) + batch.Length > capacity && Interlocked.Read(ref _queued) > 0)
            {
                if (_failing || wait.IsCancellationRequested)
                {
                    _shared.Queue.CountDropped(batch.Length, _shared.Abort.IsCancellationRequested ? DropReasons.Shutdown : DropReasons.SinkQueueFull, Name);
                    return;
                }

                try
                {
                    await _room.WaitAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Re-checked above: a timeout or an abort drops and counts.
                }
            }
        }

        bool abandoned;
        lock (_settle)
        {
            abandoned = _abandoned;
            if (!abandoned)
            {
                _queued += batch.Length;
            }
        }

        if (abandoned)
        {
            // The stop counted this sink's leftovers before this batch arrived, and the dispatcher handed its claim on
            // the batch over when it posted: nobody else counts it.
            _shared.Queue.CountDropped(batch.Length, DropReasons.Shutdown, Name);
            return;
        }

        _channel.Writer.TryWrite(new Item(batch, null, trace));
    }

    /// <summary>Completes <paramref name="flush"/> once every batch posted before it has been settled.</summary>
    public void PostFlush(TaskCompletionSource flush)
    {
        if (!_channel.Writer.TryWrite(new Item(null, flush, default)))
        {
            flush.TrySetResult();
        }
    }

    /// <summary>No more batches: the loop ends once it has settled the queued ones.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>
    /// The shutdown gave up: counts every event not yet settled (queued or in flight) as dropped for this sink, once,
    /// and releases any flush waiting in the queue.
    /// </summary>
    public void Abandon()
    {
        long left;
        lock (_settle)
        {
            if (_abandoned)
            {
                return;
            }

            _abandoned = true;
            left = _queued + _inFlight;
            _queued = 0;
            _inFlight = 0;
        }

        _shared.Queue.CountDropped(left, DropReasons.Shutdown, Name);
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var item))
        {
            item.Flush?.TrySetResult();
        }

        SignalRoom();
    }

    private void SignalRoom()
    {
        if (_room.CurrentCount > 0)
        {
            return; // a wake-up is pending already: skip the throw below, which a busy sink otherwise pays on most signals
        }

        try
        {
            _room.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another thread signalled between the check and the release: a wake-up is pending already.
        }
    }

    private async Task RunAsync()
    {
        ActivityLogTracing.DetachFromCaller();
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_shared.Abort).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (item.Flush is { } flush)
                    {
                        flush.TrySetResult();
                        continue;
                    }

                    var batch = item.Batch!;
                    lock (_settle)
                    {
                        // After an abort nothing more is taken: what is queued stays counted as queued, for Abandon.
                        if (_abandoned || _shared.Abort.IsCancellationRequested)
                        {
                            return;
                        }

                        _queued -= batch.Length;
                        _inFlight += batch.Length;
                    }

                    SignalRoom();
                    await WriteAsync(new ArraySegment<ActivityLogEvent>(batch), item.Trace).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_shared.Abort.IsCancellationRequested)
        {
            // Shutdown gave up: Abandon counts what is left.
        }
    }

    /// <summary>
    /// Writes a batch; on a rejection, isolates the rejected event by splitting. A work stack, not recursion: a batch of
    /// 100,000 events each named by its rejection must not grow the call stack per event.
    /// </summary>
    private async Task WriteAsync(ArraySegment<ActivityLogEvent> batch, ActivityContext trace)
    {
        var parts = new Stack<ArraySegment<ActivityLogEvent>>();
        parts.Push(batch);
        while (parts.Count > 0)
        {
            var part = parts.Pop();
            var rejected = await TryWriteAsync(part, trace).ConfigureAwait(false);
            if (rejected is null)
            {
                continue;
            }

            if (part.Count == 1)
            {
                await QuarantineAsync(part[0], rejected.Message).ConfigureAwait(false);
                continue;
            }

            // The sink named the event: quarantine it and write the rest again (which may hold more rejected events).
            int index = rejected.EventId is { } id ? IndexOf(part, id) : -1;
            if (index >= 0)
            {
                await QuarantineAsync(part[index], rejected.Message).ConfigureAwait(false);
                var rest = new ActivityLogEvent[part.Count - 1];
                part[..index].CopyTo(rest);
                part[(index + 1)..].CopyTo(rest, index);
                parts.Push(new ArraySegment<ActivityLogEvent>(rest));
                continue;
            }

            // Else bisect: log2(batch size) rounds find one bad event; the good halves are written as they succeed.
            int half = part.Count / 2;
            parts.Push(part[half..]);
            parts.Push(part[..half]);
        }
    }

    private static int IndexOf(ArraySegment<ActivityLogEvent> part, Guid id)
    {
        for (int i = 0; i < part.Count; i++)
        {
            if (part[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>One write with the retry pipeline; settles the outcome unless the sink rejected the part (returned).</summary>
    private async Task<ActivityLogEventRejectedException?> TryWriteAsync(ArraySegment<ActivityLogEvent> part, ActivityContext trace)
    {
        var context = ResilienceContextPool.Shared.Get(_shared.Abort);
        context.Properties.Set(BatchSize, part.Count);
        try
        {
            await _retry.ExecuteAsync(
                static async (ctx, state) => await state.worker.WriteOnceAsync(state.part, state.trace, ctx.CancellationToken).ConfigureAwait(false),
                context,
                (worker: this, part, trace)).ConfigureAwait(false);
            _failing = false;
            _lastWriteFailed = false;
            Settle(part.Count, delivered: true);
            return null;
        }
        catch (OperationCanceledException) when (_shared.Abort.IsCancellationRequested)
        {
            return null; // Abandon counts it.
        }
        catch (ActivityLogEventRejectedException rejected)
        {
            return rejected;
        }
#pragma warning disable CA1031 // A sink's last failure is counted and logged, never thrown into the dispatcher.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _lastWriteFailed = true;
            _shared.Metrics.SinkFailed(Name);
            Log.SinkGaveUp(_shared.Logger, exception, Name, part.Count, _shared.Options.SinkRetry.MaxRetryAttempts + 1);
            Settle(part.Count, delivered: false, DropReasons.SinkFailed);
            return null;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One call to the sink, in a span of its own (every retry is one more span under the batch's dispatch).</summary>
    private async ValueTask WriteOnceAsync(ArraySegment<ActivityLogEvent> part, ActivityContext trace, CancellationToken cancellationToken)
    {
        using var span = ActivityLogTracing.Source.StartActivity(ActivityLogTracing.SinkWriteSpan, ActivityKind.Internal, trace);
        span?.SetTag(ActivityLogTracing.SinkTag, Name);
        span?.SetTag(ActivityLogTracing.BatchSizeTag, part.Count);
        try
        {
            await _sink.WriteBatchAsync(part, cancellationToken).ConfigureAwait(false);
            span?.SetTag(ActivityLogTracing.OutcomeTag, "written");
        }
        catch (ActivityLogEventRejectedException exception) when (span is not null)
        {
            ActivityLogTracing.Failed(span, "rejected", exception);
            throw;
        }
        catch (Exception exception) when (span is not null)
        {
            ActivityLogTracing.Failed(span, cancellationToken.IsCancellationRequested ? "shutdown" : "failed", exception);
            throw;
        }
    }

    private async Task QuarantineAsync(ActivityLogEvent activityEvent, string reason)
    {
        try
        {
            var entry = new ActivityQuarantineEntry(activityEvent, Name, reason, _shared.Time.GetUtcNow());
            await _shared.Quarantine.AddAsync(entry, _shared.Abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_shared.Abort.IsCancellationRequested)
        {
            return; // Abandon counts it.
        }
#pragma warning disable CA1031 // A quarantine that fails is counted and logged; the sink goes on.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.QuarantineFailed(_shared.Logger, exception, activityEvent.Id, Name);
            Settle(1, delivered: false, DropReasons.QuarantineFailed);
            return;
        }

        Log.Quarantined(_shared.Logger, Name, activityEvent.Id, activityEvent.Name, reason);
        if (Settle(1, delivered: false, reason: null))
        {
            _shared.Metrics.Quarantined(Name);
            Interlocked.Increment(ref _shared.QuarantinedCount);
        }
    }

    /// <summary>Counts the outcome of events of the batch in flight, unless the shutdown counted them already.</summary>
    /// <returns>Whether the outcome was counted.</returns>
    private bool Settle(int count, bool delivered, string? reason = null)
    {
        lock (_settle)
        {
            if (_abandoned)
            {
                return false;
            }

            _inFlight -= count;
        }

        if (delivered)
        {
            _shared.Metrics.Delivered(count, Name);
        }
        else if (reason is not null)
        {
            _shared.Queue.CountDropped(count, reason, Name);
        }

        return true;
    }

    private ResiliencePipeline CreateRetry()
    {
        var retry = _shared.Options.SinkRetry;
        var builder = new ResiliencePipelineBuilder { TimeProvider = _shared.Time };
        if (retry.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetryAttempts,
                Delay = retry.Delay,
                MaxDelay = retry.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                // A rejection is about the events, not the sink: splitting, not waiting, is what helps. A timeout inside
                // a sink (TaskCanceledException from HttpClient, say) is a failure to retry; only our own cancellation
                // at shutdown ends the retries.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e &&
                    e is not ActivityLogEventRejectedException &&
                    !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
                OnRetry = args =>
                {
                    _failing = true;
                    SignalRoom();
                    _shared.Metrics.SinkFailed(Name);
                    Log.SinkRetrying(_shared.Logger, args.Outcome.Exception!, Name, args.Context.Properties.GetValue(BatchSize, 0), args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    private readonly record struct Item(ActivityLogEvent[]? Batch, TaskCompletionSource? Flush, ActivityContext Trace);
}

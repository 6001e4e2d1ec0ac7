using System.Collections.Concurrent;
using System.Threading.Channels;
using ActivityLog.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.Pipeline;

/// <summary>
/// The bounded queue between <c>Record</c> and the dispatcher: many writers, one reader. Writing is a lock-protected
/// enqueue in the channel and nothing else; the reader is woken at most once per batch (see the dispatcher).
/// </summary>
internal sealed class ActivityQueue
{
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(10);

    private readonly Channel<ActivityLogEvent> _channel;
    private readonly ActivityLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private ActivityLogMetrics? _metrics;
    private long _dropped;
    private readonly ConcurrentDictionary<string, long> _droppedByReason = new(StringComparer.Ordinal);
    private long _droppedSinceLog;
    private long _lastDropLog = long.MinValue;
    private volatile bool _closed;

    public ActivityQueue(IOptions<ActivityLogOptions> options, TimeProvider time, ILogger<ActivityQueue> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _channel = Channel.CreateBounded<ActivityLogEvent>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            // The reader's continuation must never run on a recording thread.
            AllowSynchronousContinuations = false,
        });
    }

    public ChannelReader<ActivityLogEvent> Reader => _channel.Reader;

    public int Count => _channel.Reader.Count;

    public long DroppedCount => Volatile.Read(ref _dropped);

    /// <summary>The drops since start per reason (the metric's <c>reason</c> tag), for the health check.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason => new Dictionary<string, long>(_droppedByReason, StringComparer.Ordinal);

    /// <summary>The queue's capacity (<see cref="ActivityLogOptions.QueueCapacity"/>).</summary>
    public int Capacity => _options.QueueCapacity;

    // Attached by the dispatcher rather than injected: the metrics' queue-depth gauge reads this queue.
    internal void AttachMetrics(ActivityLogMetrics metrics) => _metrics = metrics;

    /// <summary>Called on the slow path when a write finds the queue full: a full batch is ready, so the reader should not wait.</summary>
    internal Action? Full { get; set; }

    public void Enqueue(ActivityLogEvent activityEvent)
    {
        if (!_channel.Writer.TryWrite(activityEvent))
        {
            EnqueueSlow(activityEvent);
        }
    }

    /// <summary>Queues a flush marker, waiting for room; returns false when the queue is closed.</summary>
    public async ValueTask<bool> EnqueueMarkerAsync(ActivityLogEvent marker, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.Writer.WriteAsync(marker, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    public bool IsClosed => _closed;

    public void Complete()
    {
        _closed = true;
        _channel.Writer.TryComplete();
    }

    public void CountDropped(long count, string reason, string? sink = null)
    {
        if (count <= 0)
        {
            return;
        }

        long total = Interlocked.Add(ref _dropped, count);
        _droppedByReason.AddOrUpdate(reason, count, (_, sum) => sum + count);
        Interlocked.Add(ref _droppedSinceLog, count);
        _metrics?.Dropped(count, reason, sink);

        // Log the first drop at once, then at most once per interval, so an overload cannot flood the logs.
        long now = _time.GetTimestamp();
        long last = Volatile.Read(ref _lastDropLog);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= DropLogInterval) &&
            Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            Log.EventsDropped(_logger, Interlocked.Exchange(ref _droppedSinceLog, 0), reason, total);
        }
    }

    private void EnqueueSlow(ActivityLogEvent activityEvent)
    {
        Full?.Invoke();
        if (_options.QueueFullMode == ActivityQueueFullMode.DropNewest)
        {
            // TryWrite also fails once the writer is completed; tell the two apart for the metric.
            CountDropped(1, _closed ? DropReasons.Stopped : DropReasons.QueueFull);
            return;
        }

        // Back-pressure: block this caller (not the queue) for room, bounded by the timeout. Sync-over-async is
        // deliberate here: Record is synchronous, and the reader that makes room runs on the thread pool.
        using var timeout = new CancellationTokenSource(_options.QueueFullTimeout, _time);
        try
        {
            var write = _channel.Writer.WriteAsync(activityEvent, timeout.Token);
            if (!write.IsCompletedSuccessfully)
            {
                write.AsTask().GetAwaiter().GetResult();
            }
        }
        catch (OperationCanceledException)
        {
            CountDropped(1, DropReasons.QueueFull);
        }
        catch (ChannelClosedException)
        {
            CountDropped(1, DropReasons.Stopped);
        }
    }
}

using ActivityLog.Extensibility;

namespace ActivityLog.Tests.Support;

/// <summary>A sink that throws for its first N calls, then keeps events; counts every attempt.</summary>
internal sealed class FlakySink(int failures) : IActivitySink
{
    private readonly Lock _gate = new();
    private readonly List<ActivityLogEvent> _events = [];
    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    public IReadOnlyList<ActivityLogEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _attempts) <= failures)
        {
            throw new InvalidOperationException("The store is down (simulated).");
        }

        lock (_gate)
        {
            _events.AddRange(batch);
        }

        return Task.CompletedTask;
    }
}

/// <summary>A sink that blocks every batch until released: a store that never answers.</summary>
internal sealed class BlockingSink : IActivitySink
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;

    public Task Entered => _entered.Task;

    public long Received => Interlocked.Read(ref _received);

    public void Release() => _release.TrySetResult();

    public async Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        await _release.Task.WaitAsync(cancellationToken);
        Interlocked.Add(ref _received, batch.Count);
    }
}

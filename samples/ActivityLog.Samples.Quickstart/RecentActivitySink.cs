namespace ActivityLog.Samples.Quickstart;

/// <summary>
/// Keeps the most recent events in memory so the sample can print its Activity Log page. A real app stores them
/// (the EF Core store package) and reads the page back from the database.
/// </summary>
internal sealed class RecentActivitySink : IActivitySink
{
    private readonly Lock _gate = new();
    private readonly List<ActivityEvent> _events = [];

    public IReadOnlyList<ActivityEvent> NewestFirst()
    {
        lock (_gate)
        {
            return [.. _events.AsEnumerable().Reverse()];
        }
    }

    public Task WriteBatchAsync(IReadOnlyList<ActivityEvent> batch, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _events.AddRange(batch);
        }

        return Task.CompletedTask;
    }
}

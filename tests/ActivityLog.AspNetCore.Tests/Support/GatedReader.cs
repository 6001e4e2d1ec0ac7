using System.Runtime.CompilerServices;

namespace ActivityLog.AspNetCore.Tests.Support;

/// <summary>
/// Wraps the real store's reader and holds an export's stream after <see cref="PauseAfter"/> events until the test
/// releases it: while it waits, whatever the client has received was streamed, not buffered.
/// </summary>
internal sealed class GatedReader(IActivityLogReader inner, int pauseAfter) : IActivityLogReader
{
    private readonly TaskCompletionSource _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int PauseAfter { get; } = pauseAfter;

    /// <summary>Completes when the export has read <see cref="PauseAfter"/> events and waits.</summary>
    public Task Paused => _paused.Task;

    public void Release() => _release.TrySetResult();

    public Task<ActivityLogPage> ReadPageAsync(ActivityLogQuery query, CancellationToken cancellationToken = default) =>
        inner.ReadPageAsync(query, cancellationToken);

    public IAsyncEnumerable<ActivityLogEvent> ReadAllAsync(ActivityLogQuery query, CancellationToken cancellationToken = default) =>
        Gate(inner.ReadAllAsync(query, cancellationToken), cancellationToken);

    private async IAsyncEnumerable<ActivityLogEvent> Gate(IAsyncEnumerable<ActivityLogEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int count = 0;
        await foreach (var activity in events)
        {
            if (count++ == PauseAfter)
            {
                _paused.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            yield return activity;
        }
    }
}

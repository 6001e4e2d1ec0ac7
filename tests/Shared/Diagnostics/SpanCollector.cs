using System.Collections.Concurrent;
using System.Diagnostics;

namespace ActivityLog.Tests.Shared.Diagnostics;

/// <summary>
/// A real <see cref="ActivityListener"/> on ActivityLog's <see cref="ActivitySource"/> that samples everything and keeps
/// every stopped span, for the tracing tests of several packages. Dispose it to stop listening.
/// </summary>
internal sealed class SpanCollector : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public SpanCollector()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivityLogDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Every span stopped since this collector started, in stop order.</summary>
    public IReadOnlyCollection<Activity> Stopped => _stopped;

    public void Dispose() => _listener.Dispose();
}

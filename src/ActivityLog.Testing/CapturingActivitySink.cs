using ActivityLog.Extensibility;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Testing;

/// <summary>
/// A sink that keeps every event it receives, for tests. Add it with <c>services.AddActivityLog().AddCapture()</c>,
/// record through the app, then <c>await capture.FlushAsync()</c> and assert on <see cref="Events"/>.
/// </summary>
/// <remarks>Thread-safe. Events are the processed ones: redacted, described, with ids.</remarks>
public sealed class CapturingActivitySink : IActivitySink
{
    private readonly Lock _gate = new();
    private readonly List<ActivityLogEvent> _events = [];
    private readonly Func<IActivityDispatcher?> _dispatcher = static () => null;

    /// <summary>Creates a capture that is not attached to a dispatcher (add it with <c>AddSink(capture)</c>).</summary>
    public CapturingActivitySink()
    {
    }

    /// <summary>Creates a capture that can flush the given dispatcher.</summary>
    /// <param name="dispatcher">The app's dispatcher.</param>
    public CapturingActivitySink(IActivityDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        _dispatcher = () => dispatcher;
    }

    /// <summary>Resolves the dispatcher on first flush: the dispatcher itself depends on this sink.</summary>
    internal CapturingActivitySink(Func<IActivityDispatcher?> dispatcher) => _dispatcher = dispatcher;

    /// <summary>A snapshot of the events received so far, in the order the sink received them.</summary>
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

    /// <summary>How many batches the sink received.</summary>
    public int BatchCount { get; private set; }

    /// <summary>Forgets every captured event.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _events.Clear();
            BatchCount = 0;
        }
    }

    /// <summary>Waits until every event recorded before the call has reached this sink. Deterministic: no polling.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The events captured so far.</returns>
    /// <exception cref="InvalidOperationException">The capture was created without a dispatcher.</exception>
    public async Task<IReadOnlyList<ActivityLogEvent>> FlushAsync(CancellationToken cancellationToken = default)
    {
        var dispatcher = _dispatcher() ?? throw new InvalidOperationException(
            "This capture has no dispatcher: add it with AddCapture() or flush IActivityDispatcher yourself.");
        await dispatcher.FlushAsync(cancellationToken).ConfigureAwait(false);
        return Events;
    }

    /// <inheritdoc />
    public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            _events.AddRange(batch);
            BatchCount++;
        }

        return Task.CompletedTask;
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests.Support;

/// <summary>
/// Disposes a host whose <see cref="TimeProvider"/> is a <see cref="FakeTimeProvider"/>, moving that clock while the
/// disposal runs. The HTTP client's resilience pipeline (Polly) waits, when it is disposed, for executions still in
/// flight by polling with delays on the container's <see cref="TimeProvider"/>: on a clock nobody moves, a request still
/// pending at that moment (a name still being resolved, which cancellation does not interrupt) held the test host for
/// ten minutes until the run was aborted. Real clocks move on their own; a test's has to be moved.
/// </summary>
internal static class FakeClockDisposal
{
    public static async Task DisposeAsync(IHost host, FakeTimeProvider time)
    {
        // Off the caller's thread too: a stop's continuation may run inline on a pipeline worker, and a synchronous
        // Dispose there would wait for work that needs that very thread.
        var disposing = Task.Run(host.Dispose);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!disposing.IsCompleted && DateTime.UtcNow < deadline)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(disposing, Task.Delay(10));
        }

        await disposing.WaitAsync(TimeSpan.FromSeconds(5));
    }
}

using ActivityLog.Extensibility;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ActivityLog.Tests.Pipeline;

/// <summary>
/// Each sink has its own queue and retry state: a sink that is down and retrying never holds back another sink or the
/// dispatcher, and a graceful stop that gives up counts every event exactly once. On 298d2c2 all sinks shared one
/// loop (a retrying sink stalled every other), and a stop that timed out counted the batch in flight as dropped and
/// then, when the sink finished it, as delivered too.
/// </summary>
public sealed class SinkIsolationTests
{
    private const string Name = "activity_log.item.created";

    [Fact]
    public async Task A_sink_that_is_down_and_retrying_does_not_hold_back_another_sink()
    {
        var down = new FlakySink(failures: int.MaxValue);
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(down));
        for (int i = 0; i < 1_200; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i));
            if (i % 300 == 299)
            {
                // Let batches form; the fake clock never advances, so the failing sink sits in its first back-off.
                await WaitUntilAsync(() => host.Capture.Events.Count > i - 300, host);
            }
        }

        await WaitUntilAsync(() => host.Capture.Events.Count == 1_200, host);

        host.Capture.Events.Should().HaveCount(1_200);
        down.Attempts.Should().Be(1, "the failing sink is still waiting out its first back-off");
    }

    [Fact]
    public async Task A_failing_sink_with_a_full_queue_drops_and_counts_for_itself_only()
    {
        var down = new FlakySink(failures: int.MaxValue);
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(down).Configure(o =>
        {
            o.SinkQueueCapacity = 100;
            o.MaxBatchSize = 50;
        }));
        using var dropped = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), ActivityLogDiagnostics.MeterName, "activitylog.events.dropped");
        for (int i = 0; i < 1_000; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i));
        }

        await WaitUntilAsync(() => host.Capture.Events.Count == 1_000, host);

        var drops = dropped.GetMeasurementSnapshot();
        drops.Should().OnlyContain(m => (string?)m.Tags["reason"] == "sink_queue_full" && (string?)m.Tags["sink"] == nameof(FlakySink));
        drops.Sum(m => m.Value).Should().BeInRange(1_000 - 100 - 50, 1_000 - 50, "the sink holds its queue and one batch in flight; the rest is dropped for it alone");
    }

    [Fact]
    public async Task A_stop_that_times_out_counts_every_event_exactly_once_even_when_the_sink_finishes_late()
    {
        var slow = new ReleasableSink();
        var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(slow).Configure(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            o.MaxBatchSize = 500;
        }));
        var meters = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var delivered = new MetricCollector<long>(meters, ActivityLogDiagnostics.MeterName, "activitylog.events.delivered");
        using var dropped = new MetricCollector<long>(meters, ActivityLogDiagnostics.MeterName, "activitylog.events.dropped");
        for (int i = 0; i < 2_000; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i));
        }

        _ = host.Dispatcher.FlushAsync();
        await slow.Entered;
        await host.AdvanceUntilAsync(host.Host.StopAsync(), TimeSpan.FromMilliseconds(100));
        slow.Release();
        await slow.Finished;
        await host.Capture.FlushAsync().ContinueWith(_ => { }, TaskScheduler.Default);

        // An event still in the shared queue when the stop gave up is dropped before any sink saw it: that count has
        // no sink tag and applies to every sink.
        long Count(MetricCollector<long> c, string sink) => c.GetMeasurementSnapshot()
            .Where(m => !m.Tags.TryGetValue("sink", out object? s) || (string?)s == sink).Sum(m => m.Value);
        (Count(delivered, nameof(ReleasableSink)) + Count(dropped, nameof(ReleasableSink))).Should().Be(2_000, "every event ends in exactly one count for the sink");
        Count(delivered, nameof(ReleasableSink)).Should().Be(0, "the stop gave up on the batch the sink finished later: it is counted as dropped, once");
        (Count(delivered, "CapturingActivitySink") + Count(dropped, "CapturingActivitySink")).Should().Be(2_000);
        host.Host.Dispose();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, ActivityLogTestHost host)
    {
        // The batch delay runs on the fake clock: advance it in small steps until the condition holds (bounded).
        for (int i = 0; i < 2_000 && !condition(); i++)
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(20) - TimeSpan.FromTicks(1));
            await Task.Delay(1);
        }

        condition().Should().BeTrue();
    }

    /// <summary>Blocks its first batch until released, ignoring cancellation; counts what it finished.</summary>
    private sealed class ReleasableSink : IActivitySink
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public Task Finished => _finished.Task;

        public void Release() => _release.TrySetResult();

        public async Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();
            await _release.Task;
            _finished.TrySetResult();
        }
    }
}

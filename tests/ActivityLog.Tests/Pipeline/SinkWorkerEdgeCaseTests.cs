using ActivityLog.Extensibility;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ActivityLog.Tests.Pipeline;

/// <summary>
/// Interleavings an adversarial review of the per-sink queues found: a stop that times out with several batches queued
/// for a sink, a sink that stalls without ever failing, a batch whose every event is rejected by id, a flush during a stop.
/// </summary>
public sealed class SinkWorkerEdgeCaseTests
{
    private const string Name = "activity_log.item.created";

    [Fact]
    public async Task A_stop_that_times_out_with_many_batches_queued_for_a_sink_counts_every_one_of_them()
    {
        var stuck = new StuckUntilCancelledSink();
        var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(stuck).Configure(o =>
        {
            o.MaxBatchSize = 100;
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
        }));
        var meters = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var delivered = new MetricCollector<long>(meters, ActivityLogDiagnostics.MeterName, "activitylog.events.delivered");
        using var dropped = new MetricCollector<long>(meters, ActivityLogDiagnostics.MeterName, "activitylog.events.dropped");
        for (int i = 0; i < 1_000; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i));
        }

        _ = host.Dispatcher.FlushAsync();
        await stuck.Entered;
        await host.AdvanceUntilAsync(host.Host.StopAsync(), TimeSpan.FromMilliseconds(100));

        long For(MetricCollector<long> c) => c.GetMeasurementSnapshot().Where(m => (string?)m.Tags["sink"] == nameof(StuckUntilCancelledSink)).Sum(m => m.Value);
        (For(delivered) + For(dropped)).Should().Be(1_000);
        host.Host.Dispose();
    }

    [Fact]
    public async Task A_sink_that_stalls_without_failing_holds_the_others_back_for_at_most_the_sink_queue_timeout()
    {
        var stalled = new BlockingSink();
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(stalled).Configure(o =>
        {
            o.SinkQueueCapacity = 100;
            o.MaxBatchSize = 50;
            o.SinkQueueFullTimeout = TimeSpan.FromSeconds(1);
        }));
        for (int i = 0; i < 1_000; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i));
        }

        for (int step = 0; step < 5_000 && host.Capture.Events.Count < 1_000; step++)
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1);
        }

        host.Capture.Events.Should().HaveCount(1_000, "the stalled sink costs the others at most a second of fake time per batch");
        stalled.Release();
    }

    [Fact]
    public async Task A_batch_of_twenty_thousand_events_each_rejected_by_id_is_quarantined_without_growing_the_stack()
    {
        var rejecting = new RejectEverySink();
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(rejecting).Configure(o =>
        {
            o.MaxBatchSize = 20_000;
            o.QueueCapacity = 20_000;
            o.QuarantineCapacity = 20_000;
        }));
        for (int i = 0; i < 20_000; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i));
        }

        await host.Dispatcher.FlushAsync();

        host.Dispatcher.QuarantinedCount.Should().Be(20_000);
        host.Dispatcher.DroppedCount.Should().Be(0);
    }

    [Fact]
    public async Task A_flush_during_a_stop_completes_only_after_the_sinks_settled_everything()
    {
        var slow = new BlockingSink();
        var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(slow));
        host.Recorder.Record(Name, new ActivityResource("item", 1));
        _ = host.Dispatcher.FlushAsync();
        await slow.Entered;

        var stopping = host.Host.StopAsync();
        var flush = host.Dispatcher.FlushAsync();
        var first = await Task.WhenAny(flush, Task.Delay(TimeSpan.FromMilliseconds(300)));

        first.Should().NotBeSameAs(flush, "the sink still holds the event");
        slow.Release();
        await flush.WaitAsync(TimeSpan.FromSeconds(30));
        slow.Received.Should().Be(1);
        await stopping;
        host.Host.Dispose();
    }

    /// <summary>Blocks every batch until cancelled (the way a sink honouring the token behaves), counting nothing.</summary>
    private sealed class StuckUntilCancelledSink : IActivitySink
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public async Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    private sealed class RejectEverySink : IActivitySink
    {
        public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken) =>
            throw new ActivityLogEventRejectedException(batch[0].Id, "Refused (simulated).");
    }
}

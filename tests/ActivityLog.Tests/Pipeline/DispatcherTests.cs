using System.Collections.Concurrent;
using ActivityLog.Extensibility;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Tests.Pipeline;

public sealed class DispatcherTests
{
    [Fact]
    public async Task Eight_threads_recording_50000_events_each_deliver_every_event_exactly_once()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var recorder = host.Recorder;
        const int Threads = 8;
        const int PerThread = 50_000;

        var writers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                var actor = ActivityActor.User(t, $"writer {t}");
                for (int i = 0; i < PerThread; i++)
                {
                    recorder.Record("activity_log.item.created", actor: actor, resource: new ActivityResource("item", i));
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(writers);

        var events = await host.Capture.FlushAsync();

        events.Should().HaveCount(Threads * PerThread);
        events.Select(e => (e.Actor.NumericId, e.Resource!.Value.Id)).Distinct().Should().HaveCount(Threads * PerThread);
        events.Select(e => e.Id).Distinct().Should().HaveCount(Threads * PerThread, "every event gets its own id");
        host.Dispatcher.DroppedCount.Should().Be(0);
        // Per writer, events arrive in the order they were recorded (one queue, one reader).
        foreach (var perWriter in events.GroupBy(e => e.Actor.NumericId))
        {
            perWriter.Select(e => long.Parse(e.Resource!.Value.Id!, System.Globalization.CultureInfo.InvariantCulture))
                .Should().BeInAscendingOrder();
        }
    }

    [Fact]
    public async Task A_sink_that_fails_its_first_attempts_still_receives_every_event_once()
    {
        var flaky = new FlakySink(failures: 3);
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(flaky));
        for (int i = 0; i < 100; i++)
        {
            host.Recorder.Record("activity_log.item.updated", resource: new ActivityResource("item", i));
        }

        // The retry back-off runs on the fake clock: advance it until the flush completes.
        await host.AdvanceUntilAsync(host.Dispatcher.FlushAsync(), TimeSpan.FromSeconds(1));

        flaky.Attempts.Should().BeGreaterThan(3);
        flaky.Events.Select(e => e.Resource!.Value.Id).Should().Equal(Enumerable.Range(0, 100).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        host.Capture.Events.Should().HaveCount(100, "one failing sink does not hold events back from another");
        host.Dispatcher.DroppedCount.Should().Be(0);
    }

    [Fact]
    public async Task A_sink_that_never_recovers_gives_up_after_the_last_retry_and_counts_the_events_as_dropped()
    {
        var broken = new FlakySink(failures: int.MaxValue);
        await using var host = await ActivityLogTestHost.StartAsync(log => log
            .AddSink(broken)
            .Configure(o => o.SinkRetry.MaxRetryAttempts = 2));
        using var dropped = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), ActivityLogDiagnostics.MeterName, "activitylog.events.dropped");

        for (int i = 0; i < 10; i++)
        {
            host.Recorder.Record("activity_log.item.updated", resource: new ActivityResource("item", i));
        }

        await host.AdvanceUntilAsync(host.Dispatcher.FlushAsync(), TimeSpan.FromSeconds(1));

        broken.Attempts.Should().Be(3);
        host.Dispatcher.DroppedCount.Should().Be(10);
        dropped.GetMeasurementSnapshot().Should().ContainSingle(m => m.Value == 10 && (string?)m.Tags["reason"] == "sink_failed");
        host.Capture.Events.Should().HaveCount(10, "the healthy sink still got them");
    }

    [Fact]
    public async Task A_graceful_stop_delivers_everything_that_was_queued()
    {
        var host = await ActivityLogTestHost.StartAsync();
        for (int i = 0; i < 5_000; i++)
        {
            host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", i));
        }

        // No flush: the batch delay is still waiting on the fake clock; stopping must cut it short and drain.
        await host.Host.StopAsync();

        host.Capture.Events.Should().HaveCount(5_000);
        host.Dispatcher.DroppedCount.Should().Be(0);

        host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 5_000));
        host.Dispatcher.DroppedCount.Should().Be(1, "an event recorded after the stop is counted, not silently lost");
        host.Host.Dispose();
    }

    [Fact]
    public async Task A_stop_that_outlasts_the_shutdown_timeout_counts_what_it_could_not_deliver()
    {
        var blocking = new BlockingSink();
        var host = await ActivityLogTestHost.StartAsync(log => log
            .AddSink(blocking)
            .Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5)));
        for (int i = 0; i < 10; i++)
        {
            host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", i));
        }

        _ = host.Dispatcher.FlushAsync();
        await blocking.Entered;
        var stop = host.Host.StopAsync();
        await host.AdvanceUntilAsync(stop, TimeSpan.FromSeconds(1));

        blocking.Received.Should().Be(0);
        host.Dispatcher.DroppedCount.Should().Be(10, "the blocked sink's batch is counted as dropped at shutdown");
        host.Host.Dispose();
    }

    [Fact]
    public async Task A_full_queue_in_drop_mode_counts_every_event_it_drops_and_logs_nothing_per_event()
    {
        var blocking = new BlockingSink();
        await using var host = await ActivityLogTestHost.StartAsync(
            log => log
                .AddSink(blocking)
                .Configure(o =>
                {
                    o.QueueCapacity = 100;
                    o.SinkQueueCapacity = 100;
                    o.MaxBatchSize = 10;
                    o.QueueFullMode = ActivityQueueFullMode.DropNewest;
                }),
            null,
            start: true,
            services => services.AddFakeLogging());
        using var dropped = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), ActivityLogDiagnostics.MeterName, "activitylog.events.dropped");

        host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 0));
        var firstFlush = host.Dispatcher.FlushAsync();
        await blocking.Entered; // The sink now holds one batch and is stuck in it.
        for (int i = 1; i < 1_000; i++)
        {
            host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", i));
        }

        // A stuck (not failing) sink applies back-pressure once its own queue is full: what is held is at most the
        // queue, the sink's queue, the batch in the sink and the batch the dispatcher waits to post.
        long droppedWhileBlocked = host.Dispatcher.DroppedCount;
        droppedWhileBlocked.Should().BeGreaterThanOrEqualTo(1_000 - 1 - 100 - 100 - 10 - 10);
        blocking.Release();
        await firstFlush;
        await host.Dispatcher.FlushAsync();

        (blocking.Received + host.Dispatcher.DroppedCount).Should().Be(1_000, "every event is either delivered or counted");
        host.Capture.Events.Should().HaveCount((int)blocking.Received);
        dropped.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(host.Dispatcher.DroppedCount);
        dropped.GetMeasurementSnapshot().Should().OnlyContain(m => (string?)m.Tags["reason"] == "queue_full");
        // 899 drops within one fake-clock instant: one warning, not one per event.
        host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Message.Contains("dropped", StringComparison.Ordinal))
            .Should().ContainSingle().Which.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task A_full_queue_in_wait_mode_blocks_the_caller_until_the_timeout_then_counts_the_drop()
    {
        var blocking = new BlockingSink();
        await using var host = await ActivityLogTestHost.StartAsync(log => log
            .AddSink(blocking)
            .Configure(o =>
            {
                o.QueueCapacity = 2;
                o.SinkQueueCapacity = 1;
                // The test advances the fake clock fast: keep the dispatcher's own wait for the sink out of the way.
                o.SinkQueueFullTimeout = TimeSpan.FromMinutes(1);
                o.MaxBatchSize = 1;
                o.QueueFullTimeout = TimeSpan.FromMilliseconds(100);
            }));

        host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 0));
        _ = host.Dispatcher.FlushAsync();
        await blocking.Entered; // item 0 is in the sink, which is stuck.

        // Item 1 waits in the sink's queue, item 2 in the dispatcher for room there, items 3 and 4 fill the queue.
        for (int i = 1; i <= 4; i++)
        {
            host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", i));
        }

        host.Dispatcher.QueueDepth.Should().Be(2, "the dispatcher cannot take more while it waits for the stuck sink");

        var waiting = Task.Factory.StartNew(
            () => host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 5)),
            TaskCreationOptions.LongRunning);
        waiting.IsCompleted.Should().BeFalse("the caller waits for room");

        // Small steps with a real pause each: the blocked caller must see its timeout before the clock runs on towards
        // the dispatcher's own wait for the stuck sink (a tight loop advanced it seconds past on a loaded machine).
        for (int step = 0; step < 1_000 && !waiting.IsCompleted; step++)
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(5);
        }

        await waiting;
        host.Dispatcher.DroppedCount.Should().Be(1);
        blocking.Release();
        await host.Dispatcher.FlushAsync();
        blocking.Received.Should().Be(5);
    }

    [Fact]
    public async Task A_waiting_caller_gets_in_as_soon_as_the_sink_makes_room()
    {
        var blocking = new BlockingSink();
        await using var host = await ActivityLogTestHost.StartAsync(log => log
            .AddSink(blocking)
            .Configure(o =>
            {
                o.QueueCapacity = 2;
                o.MaxBatchSize = 1;
                o.QueueFullTimeout = TimeSpan.FromMinutes(1);
            }));

        host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 0));
        _ = host.Dispatcher.FlushAsync();
        await blocking.Entered;
        host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 1));
        var waiting = Task.Factory.StartNew(
            () => host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 2)),
            TaskCreationOptions.LongRunning);

        blocking.Release();
        await waiting;
        await host.Dispatcher.FlushAsync();

        host.Dispatcher.DroppedCount.Should().Be(0);
        host.Capture.Events.Select(e => e.Resource!.Value.Id).Should().Equal("0", "1", "2");
    }

    [Fact]
    public async Task Flush_before_the_host_starts_is_a_clear_error()
    {
        await using var host = await ActivityLogTestHost.StartAsync(null, null, start: false);
        var flush = () => host.Dispatcher.FlushAsync();
        await flush.Should().ThrowAsync<InvalidOperationException>().WithMessage("*start the host*");
    }

    [Fact]
    public async Task Events_are_delivered_in_batches_no_larger_than_the_maximum()
    {
        var sizes = new BatchSizeSink();
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(sizes).Configure(o => o.MaxBatchSize = 7));
        for (int i = 0; i < 50; i++)
        {
            host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", i));
        }

        await host.Capture.FlushAsync();

        host.Capture.Events.Should().HaveCount(50);
        sizes.Sizes.Should().OnlyContain(size => size >= 1 && size <= 7);
        sizes.Sizes.Sum().Should().Be(50);
    }

    [Fact]
    public async Task Without_a_flush_the_batch_delay_on_the_clock_sends_the_batch()
    {
        await using var host = await ActivityLogTestHost.StartAsync(log => log.Configure(o => o.BatchDelay = TimeSpan.FromMilliseconds(50)));
        host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 1));

        var waitForDelivery = Task.Run(async () =>
        {
            while (host.Capture.Events.Count == 0)
            {
                await Task.Yield();
            }
        });
        await host.AdvanceUntilAsync(waitForDelivery, TimeSpan.FromMilliseconds(10));

        host.Capture.Events.Should().ContainSingle();
    }

    private sealed class BatchSizeSink : IActivitySink
    {
        private readonly ConcurrentQueue<int> _sizes = new();

        public IReadOnlyCollection<int> Sizes => _sizes;

        public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
        {
            _sizes.Enqueue(batch.Count);
            return Task.CompletedTask;
        }
    }
}

using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ActivityLog.Tests.Health;

/// <summary>
/// Issue 12, item 8: <c>AddHealthChecks().AddActivityLog()</c>, run through the real <see cref="HealthCheckService"/>
/// of a real host. A failing sink is the registration's failure status; a queue near capacity, drops and quarantined
/// events are Degraded, with the counts (per reason) in the data.
/// </summary>
public sealed class HealthCheckTests
{
    private const string Name = "activity_log.item.created";

    [Fact]
    public async Task A_pipeline_that_keeps_up_is_healthy_with_its_counts_in_the_data()
    {
        var sink = new SwitchableSink();
        await using var host = await StartAsync(log => log.AddSink(sink));
        host.Recorder.Record(Name, new ActivityResource("item", 1));
        await host.Dispatcher.FlushAsync();

        var entry = await CheckAsync(host);

        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data["queue.depth"].Should().Be(0);
        entry.Data["queue.capacity"].Should().Be(10_000);
        entry.Data["events.dropped"].Should().Be(0L);
        entry.Data["events.quarantined"].Should().Be(0L);
        entry.Data["sinks.failing"].Should().Be(0);
    }

    [Fact]
    public async Task A_failing_sink_is_the_failure_status_and_after_it_recovers_its_drops_still_degrade()
    {
        var sink = new SwitchableSink { Failing = true };
        await using var host = await StartAsync(
            log => log.AddSink(sink).Configure(o => o.SinkRetry.MaxRetryAttempts = 0),
            checks => checks.AddActivityLog("activitylog-soft", failureStatus: HealthStatus.Degraded));
        host.Recorder.Record(Name, new ActivityResource("item", 1));
        await host.Dispatcher.FlushAsync();

        var report = await ReportAsync(host);
        var entry = report.Entries["activitylog"];
        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Description.Should().Contain(sink.Name).And.Contain("1 event(s) dropped");
        entry.Data["sinks.failing.names"].Should().Be(sink.Name);
        entry.Data["events.dropped.sink_failed"].Should().Be(1L);
        entry.Exception.Should().BeNull();
        report.Entries["activitylog-soft"].Status.Should().Be(HealthStatus.Degraded, "that registration asked for Degraded on failure");

        sink.Failing = false;
        host.Recorder.Record(Name, new ActivityResource("item", 2));
        await host.Dispatcher.FlushAsync();

        entry = await CheckAsync(host);
        entry.Status.Should().Be(HealthStatus.Degraded, "the sink writes again, but an event was lost since start");
        entry.Data["sinks.failing"].Should().Be(0);
        entry.Data["events.dropped"].Should().Be(1L);
        sink.Events.Should().ContainSingle();
    }

    [Fact]
    public async Task Drops_up_to_the_tolerated_count_stay_healthy()
    {
        var sink = new SwitchableSink { Failing = true };
        await using var host = await StartAsync(
            log => log.AddSink(sink).Configure(o => o.SinkRetry.MaxRetryAttempts = 0),
            checks => { },
            o => o.DroppedEventsTolerated = 1);
        host.Recorder.Record(Name, new ActivityResource("item", 1));
        await host.Dispatcher.FlushAsync();
        sink.Failing = false;
        host.Recorder.Record(Name, new ActivityResource("item", 2));
        await host.Dispatcher.FlushAsync();

        var entry = await CheckAsync(host);

        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data["events.dropped"].Should().Be(1L);
    }

    [Fact]
    public async Task A_queue_above_its_threshold_is_degraded()
    {
        // One batch blocks in the sink, one waits in the sink's queue, the next waits for room: the rest stays queued.
        var sink = new BlockingSink();
        await using var host = await StartAsync(log => log.AddSink(sink).Configure(o =>
        {
            o.QueueCapacity = 10;
            o.MaxBatchSize = 1;
            o.SinkQueueCapacity = 1;
            o.BatchDelay = TimeSpan.Zero;
        }));
        for (int i = 0; i < 12; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i));
        }

        for (int i = 0; i < 500 && host.Dispatcher.QueueDepth > 9; i++)
        {
            await Task.Delay(10);
        }

        var entry = await CheckAsync(host);

        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain("90 % full");
        entry.Data["queue.depth"].Should().Be(9);
        sink.Release();
        await host.Dispatcher.FlushAsync();
        (await CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy, "the queue drained and nothing was lost");
    }

    [Fact]
    public async Task Quarantined_events_degrade()
    {
        var sink = new SwitchableSink { Rejecting = true };
        await using var host = await StartAsync(log => log.AddSink(sink));
        host.Recorder.Record(Name, new ActivityResource("item", 1));
        await host.Dispatcher.FlushAsync();

        var entry = await CheckAsync(host);

        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain("1 event(s) quarantined");
        entry.Data["events.quarantined"].Should().Be(1L);
    }

    [Fact]
    public async Task A_stopped_dispatcher_is_the_failure_status()
    {
        await using var host = await StartAsync(log => { });
        await host.Host.StopAsync();

        var entry = await CheckAsync(host);

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Description.Should().Contain("not running");
    }

    [Theory]
    [InlineData(0.0, 300)]
    [InlineData(1.5, 300)]
    [InlineData(0.8, 0)]
    public async Task Thresholds_out_of_range_fail_the_start(double ratio, int backlogSeconds)
    {
        await using var host = await ActivityLogTestHost.StartAsync(null, null, start: false, services => services.AddHealthChecks().AddActivityLog(configure: o =>
        {
            o.QueueDegradedRatio = ratio;
            o.OutboxBacklogAgeDegraded = TimeSpan.FromSeconds(backlogSeconds);
        }));

        var start = () => host.Host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(ratio is 0.8 ? "OutboxBacklogAgeDegraded" : "QueueDegradedRatio");
    }

    private static Task<ActivityLogTestHost> StartAsync(
        Action<ActivityLogBuilder> configure, Action<IHealthChecksBuilder>? checks = null, Action<ActivityLogHealthCheckOptions>? options = null) =>
        ActivityLogTestHost.StartAsync(configure, null, start: true, services =>
        {
            var builder = services.AddHealthChecks().AddActivityLog(configure: options);
            checks?.Invoke(builder);
        });

    private static Task<HealthReport> ReportAsync(ActivityLogTestHost host) =>
        host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    private static async Task<HealthReportEntry> CheckAsync(ActivityLogTestHost host) => (await ReportAsync(host)).Entries["activitylog"];
}

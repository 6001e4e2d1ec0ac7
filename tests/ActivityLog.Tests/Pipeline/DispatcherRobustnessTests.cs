using ActivityLog.Extensibility;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Tests.Pipeline;

/// <summary>Regressions found in review: timeouts, stuck sinks, caller-owned metadata, synchronous disposal.</summary>
public sealed class DispatcherRobustnessTests
{
    [Fact]
    public async Task A_timeout_inside_a_sink_is_retried_like_any_failure_not_taken_for_shutdown()
    {
        var sink = new TimingOutOnceSink();
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(sink));
        host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 1));

        await host.AdvanceUntilAsync(host.Dispatcher.FlushAsync(), TimeSpan.FromSeconds(1));

        sink.Attempts.Should().Be(2);
        sink.Delivered.Should().Be(1);
        host.Dispatcher.DroppedCount.Should().Be(0);
    }

    [Fact]
    public async Task A_gate_that_times_out_keeps_the_events()
    {
        await using var host = await ActivityLogTestHost.StartAsync(log => log.UseGate((_, _) => throw new TaskCanceledException("plan lookup timed out")));
        host.Recorder.Record("activity_log.item.created", accountId: "acme", resource: new ActivityResource("item", 1));

        var events = await host.Capture.FlushAsync();

        events.Should().ContainSingle();
        host.Dispatcher.DroppedCount.Should().Be(0);
    }

    [Fact]
    public async Task A_sink_that_ignores_cancellation_cannot_hold_the_shutdown_and_its_batch_is_counted()
    {
        var stuck = new IgnoresCancellationSink();
        var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(stuck).Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2)));
        host.Recorder.Record("activity_log.item.created", resource: new ActivityResource("item", 1));
        _ = host.Dispatcher.FlushAsync();
        await stuck.Entered;

        await host.AdvanceUntilAsync(host.Host.StopAsync(), TimeSpan.FromMilliseconds(100));

        host.Dispatcher.DroppedCount.Should().Be(1);
        stuck.Release();
        host.Host.Dispose();
    }

    [Fact]
    public async Task Metadata_is_copied_when_recorded_so_later_changes_by_the_caller_do_not_leak_in()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var metadata = new Dictionary<string, object?> { ["plan"] = "free" };

        host.Recorder.Record("activity_log.account.updated", resource: new ActivityResource("account", 1), metadata: metadata);
        metadata["plan"] = "pro";
        metadata[""] = "not a valid key";
        var events = await host.Capture.FlushAsync();

        events.Single().Metadata.Should().BeEquivalentTo(new Dictionary<string, object?> { ["plan"] = "free" });
    }

    [Fact]
    public async Task A_value_that_contains_itself_is_refused_at_Record_naming_the_change_and_nothing_is_queued()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var loop = new List<object?>();
        loop.Add(loop);

        var record = () => host.Recorder.Record("activity_log.item.updated", resource: new ActivityResource("item", 1), changes: [ActivityChange.Of("tags", null, loop)]);

        record.Should().Throw<ArgumentException>().Where(e => e.ParamName == "changes" && e.Message.Contains("'tags'", StringComparison.Ordinal) && e.Message.Contains("contains itself", StringComparison.Ordinal));
        (await host.Capture.FlushAsync()).Should().BeEmpty();
    }

    [Fact]
    public void Disposing_the_container_synchronously_counts_what_was_never_delivered()
    {
        var services = new ServiceCollection();
        services.AddActivityLog().AddCapture();
        var provider = services.BuildServiceProvider();
        var dispatcher = provider.GetRequiredService<IActivityDispatcher>();
        provider.GetRequiredService<IActivityRecorder>().Record("activity_log.item.created", resource: new ActivityResource("item", 1));

        provider.Invoking(p => p.Dispose()).Should().NotThrow();

        dispatcher.DroppedCount.Should().Be(1, "the host was never started, so the event was never delivered");
    }

    private sealed class TimingOutOnceSink : IActivitySink
    {
        private int _attempts;
        private int _delivered;

        public int Attempts => Volatile.Read(ref _attempts);

        public int Delivered => Volatile.Read(ref _delivered);

        public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _attempts) == 1)
            {
                throw new TaskCanceledException("The request timed out (simulated HttpClient timeout).");
            }

            Interlocked.Add(ref _delivered, batch.Count);
            return Task.CompletedTask;
        }
    }

    private sealed class IgnoresCancellationSink : IActivitySink
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public void Release() => _release.TrySetResult();

        public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();
            return _release.Task; // never looks at the token
        }
    }
}

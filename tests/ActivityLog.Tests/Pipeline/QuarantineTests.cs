using ActivityLog.Extensibility;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;

namespace ActivityLog.Tests.Pipeline;

/// <summary>
/// Issue 11, item 1 (in the pipeline): a batch that a sink rejects for good is split until the rejected event is alone;
/// every valid neighbour is written, the rejected one goes to the quarantine with its reason, counted and logged. On
/// 298d2c2 the whole batch was retried ten times and then dropped: six valid neighbours lost per bad event.
/// </summary>
public sealed class QuarantineTests
{
    private const string Name = "activity_log.item.updated";

    [Fact]
    public async Task Poison_events_are_isolated_by_splitting_and_every_valid_neighbour_is_written()
    {
        var store = new PoisonRejectingSink(identifies: false);
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(store).Configure(o => o.MaxBatchSize = 500), null, start: true, s => s.AddFakeLogging());
        using var quarantined = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), ActivityLogDiagnostics.MeterName, "activitylog.events.quarantined");
        var poison = new HashSet<int> { 3, 77, 78, 250, 499 };
        for (int i = 0; i < 500; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i, poison.Contains(i) ? "poison" : "fine"));
        }

        await host.Dispatcher.FlushAsync();

        store.Written.Select(e => e.Resource!.Value.Id).Should().BeEquivalentTo(Enumerable.Range(0, 500).Where(i => !poison.Contains(i)).Select(Id));
        store.Written.Should().OnlyHaveUniqueItems(e => e.Id);
        var entries = await host.Services.GetRequiredService<IActivityQuarantine>().ListAsync();
        entries.Select(e => e.Event.Resource!.Value.Id).Should().BeEquivalentTo(poison.Select(Id));
        entries.Should().OnlyContain(e => e.Sink == nameof(PoisonRejectingSink) && e.Reason == PoisonRejectingSink.Reason);
        host.Dispatcher.QuarantinedCount.Should().Be(5);
        host.Dispatcher.DroppedCount.Should().Be(0);
        quarantined.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(5);
        host.Capture.Events.Should().HaveCount(500, "the other sink is not affected at all");
        var logs = host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Message.Contains("quarantine", StringComparison.Ordinal)).ToList();
        logs.Should().HaveCount(5).And.OnlyContain(r => r.Level == Microsoft.Extensions.Logging.LogLevel.Error);
        store.Attempts.Should().BeLessThan(60, "splitting takes about log2(500) rounds per poison event, not retries with back-off");
    }

    [Fact]
    public async Task A_sink_that_names_the_rejected_event_gets_the_rest_written_without_splitting()
    {
        var store = new PoisonRejectingSink(identifies: true);
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(store));
        for (int i = 0; i < 100; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i, i is 10 or 90 ? "poison" : "fine"));
        }

        await host.Dispatcher.FlushAsync();

        store.Written.Should().HaveCount(98);
        store.Attempts.Should().Be(3, "the batch, then the batch without event 10, then without event 90");
        (await host.Services.GetRequiredService<IActivityQuarantine>().ListAsync()).Select(e => e.Event.Resource!.Value.Id).Should().Equal("10", "90");
    }

    [Fact]
    public async Task The_default_quarantine_is_bounded_and_what_it_pushes_out_is_counted()
    {
        var store = new PoisonRejectingSink(identifies: true);
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(store).Configure(o => o.QuarantineCapacity = 3));
        for (int i = 0; i < 5; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i, "poison"));
        }

        await host.Dispatcher.FlushAsync();

        (await host.Services.GetRequiredService<IActivityQuarantine>().ListAsync()).Select(e => e.Event.Resource!.Value.Id).Should().Equal("2", "3", "4");
        host.Dispatcher.QuarantinedCount.Should().Be(5);
        host.Dispatcher.DroppedCount.Should().Be(2, "the two oldest entries were pushed out, and that is counted as quarantine_full");
    }

    [Fact]
    public async Task A_transient_failure_is_retried_not_split()
    {
        var flaky = new FlakySink(failures: 2);
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(flaky));
        for (int i = 0; i < 50; i++)
        {
            host.Recorder.Record(Name, new ActivityResource("item", i));
        }

        await host.AdvanceUntilAsync(host.Dispatcher.FlushAsync(), TimeSpan.FromSeconds(1));

        flaky.Attempts.Should().Be(3);
        flaky.Events.Should().HaveCount(50);
        host.Dispatcher.QuarantinedCount.Should().Be(0);
    }

    private static string Id(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A store that cannot hold resources named "poison": rejects any batch holding one, as a database would.</summary>
    private sealed class PoisonRejectingSink(bool identifies) : IActivitySink
    {
        public const string Reason = "The store cannot hold this event (simulated data exception 22021).";

        private readonly Lock _gate = new();
        private readonly List<ActivityLogEvent> _written = [];
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public IReadOnlyList<ActivityLogEvent> Written
        {
            get
            {
                lock (_gate)
                {
                    return [.. _written];
                }
            }
        }

        public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            var bad = batch.FirstOrDefault(e => e.Resource?.Name == "poison");
            if (bad is not null)
            {
                throw identifies ? new ActivityLogEventRejectedException(bad.Id, Reason) : new ActivityLogEventRejectedException(Reason);
            }

            lock (_gate)
            {
                _written.AddRange(batch);
            }

            return Task.CompletedTask;
        }
    }
}

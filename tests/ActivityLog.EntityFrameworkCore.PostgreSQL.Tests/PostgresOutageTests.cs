using System.Diagnostics.Metrics;
using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
using ActivityLog.Testing;
using ActivityLog.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests;

/// <summary>The tests that stop and start the outage server: one at a time, never beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresOutageGroup
{
    public const string Name = "PostgreSQL outage server";
}

/// <summary>The store on the queued path while its PostgreSQL server goes away and comes back.</summary>
[Collection(PostgresOutageGroup.Name)]
public sealed class PostgresOutageTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Every_event_recorded_before_during_and_after_an_outage_is_stored_exactly_once()
    {
        const int PerPhase = 3_000;
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Outage, "outage");
        await database.CreateTablesAsync<PgStoreContext>();

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<PgStoreContext>(o => database.Configure(o));
        builder.Services.AddActivityLog(o =>
            {
                // Room for everything recorded while the server is down, and retries that outlast the restart: the
                // guarantee under test is "nothing lost", so nothing may be dropped by design either.
                o.QueueCapacity = 1_000_000;
                o.SinkRetry.MaxRetryAttempts = 1_000;
                o.SinkRetry.Delay = TimeSpan.FromMilliseconds(20);
                o.SinkRetry.MaxDelay = TimeSpan.FromMilliseconds(200);
            })
            .AddEntityFrameworkStore<PgStoreContext>()
            .UsePostgreSqlBinaryCopy()
            .AddCapture();
        using var host = builder.Build();
        using var failures = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), ActivityLogDiagnostics.MeterName, "activitylog.sink.failures");
        await host.StartAsync();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();
        var capture = host.Services.GetRequiredService<CapturingActivitySink>();
        using var load = new SteadyLoad(host.Services.GetRequiredService<IActivityRecorder>());

        load.Start();
        try
        {
            await load.WaitForAsync(PerPhase).WaitAsync(Limit);
            await PostgresServer.Outage.StopAsync();
            int recordedAtStop = load.Recorded;

            // Down: the store fails and retries while the load goes on into the queue.
            await failures.WaitForMeasurementsAsync(minCount: 3, Limit);
            await load.WaitForAsync(recordedAtStop + PerPhase).WaitAsync(Limit);
            await PostgresServer.Outage.StartAsync();
            int recordedAtStart = load.Recorded;

            await load.WaitForAsync(recordedAtStart + PerPhase).WaitAsync(Limit);
        }
        finally
        {
            await load.StopAsync();
        }

        await dispatcher.FlushAsync().WaitAsync(Limit);

        dispatcher.DroppedCount.Should().Be(0);
        failures.GetMeasurementSnapshot().Should().NotBeEmpty("the outage really broke writes");
        var recorded = Enumerable.Range(0, load.Recorded).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).ToList();
        var processedIds = capture.Events.Select(e => e.Id).Order().ToList();
        processedIds.Should().HaveCount(load.Recorded);

        var rows = await database.ReadRowsAsync<PgStoreContext>();
        rows.Should().HaveCount(load.Recorded);
        rows.Select(r => r.Id).Should().Equal(processedIds, "every processed event is stored, once");
        rows.Select(r => r.ResourceId!).Order(StringComparer.Ordinal).Should().Equal(recorded, "every recorded event is stored, once");
        (await database.ScalarAsync<long>("SELECT count(DISTINCT id) FROM activity_events")).Should().Be(load.Recorded);
        await host.StopAsync();
    }

    /// <summary>
    /// Records events at a steady pace on a background task (a batch every couple of milliseconds) until stopped:
    /// the app keeps working through the outage. Each event's resource id is its sequence number.
    /// </summary>
    private sealed class SteadyLoad(IActivityRecorder recorder) : IDisposable
    {
        private const int PerTick = 25;
        private readonly CancellationTokenSource _stop = new();
        private readonly Lock _gate = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private Task? _loop;
        private int _recorded;

        public int Recorded => Volatile.Read(ref _recorded);

        public void Start() => _loop = Task.Run(RunAsync);

        /// <summary>Completes once at least <paramref name="count"/> events have been recorded.</summary>
        public Task WaitForAsync(int count)
        {
            lock (_gate)
            {
                if (Recorded >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task;
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loop!;
        }

        public void Dispose() => _stop.Dispose();

        private async Task RunAsync()
        {
            // The pace of the load, not a synchronisation: nothing waits on it.
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(2));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    for (int i = 0; i < PerTick; i++)
                    {
                        int sequence = Recorded;
                        recorder.Record("activity_log.webhook.updated",
                            resource: new ActivityResource("webhook", sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), "Logging"),
                            actor: ActivityActor.User(783, "Jane Doe"),
                            accountId: "acct-1",
                            metadata: new Dictionary<string, object?> { ["sequence"] = sequence });
                        Volatile.Write(ref _recorded, sequence + 1);
                    }

                    lock (_gate)
                    {
                        foreach (var waiter in _waiters.Where(w => Recorded >= w.Count).ToList())
                        {
                            waiter.Reached.TrySetResult();
                            _waiters.Remove(waiter);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopped.
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.PostgreSQL;
using ActivityLog.Testing.Postgres;
using ActivityLog.Webhooks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RunStrategy = BenchmarkDotNet.Engines.RunStrategy;

namespace ActivityLog.Benchmarks;

/// <summary>
/// Issue 11 item 10: how fast one webhook endpoint drains a backlog from the EF Core store's outbox on local PostgreSQL
/// (127.0.0.1:5432) to a Kestrel receiver on 127.0.0.1, per event. Compare with <see cref="WebhookDeliveryBenchmarks"/>'s
/// "emitter, batches of 100" row (the in-memory outbox) in the same run:
/// <c>--filter '*OutboxDrain*' '*WebhookDeliveryBenchmarks.Emitter_BatchesOf100*' --join</c>.
/// </summary>
/// <remarks>
/// <para>
/// Before every iteration <see cref="Backlog"/> events are recorded for the endpoint's destination the way the store
/// writes them (queued path, binary COPY, outbox deliveries in the same transaction) by a host without webhook workers,
/// so the whole backlog waits in the database. The operation then starts a host with the store and the endpoint
/// (default options: batches of 100 events, 1 MiB) and ends when the webhooks meter has counted every event as
/// delivered; one operation per event. Each iteration checks that the receiver got every event and the outbox is empty.
/// </para>
/// <para>
/// Where the time goes is printed as <c>OUTBOX-DRAIN</c> lines in the run's log: batches, the mean time of a claim and a
/// completion, and the PostgreSQL commands (Npgsql's activities) per batch by kind, with their time.
/// </para>
/// </remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
[MemoryDiagnoser]
[MedianColumn]
[Config(typeof(Columns))]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: GlobalCleanup disposes everything.
public class OutboxDrainBenchmarks
#pragma warning restore CA1001
{
    /// <summary>The events waiting when an iteration starts.</summary>
    public const int Backlog = 20_000;

    private const string Endpoint = "drain";
    private const string Destination = "webhooks:" + Endpoint;

    private readonly ConcurrentDictionary<string, (int Count, TimeSpan Time)> _commands = new(StringComparer.Ordinal);
    private string _connectionString = null!;
    private WebApplication _receiver = null!;
    private Uri _url = null!;
    private IHost _fill = null!;
    private IHost? _drain;
    private TimedOutbox? _timed;
    private MeterListener _meter = null!;
    private ActivityListener _npgsql = null!;
    private long _delivered;
    private long _requests;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the drain host uses the PostgreSQL package's outbox strategy (<c>UsePostgreSqlOutbox()</c>) or EF Core's generic path.</summary>
    [Params(false, true)]
    public bool PostgreSqlOutbox { get; set; } = true;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _connectionString = await PostgresServer.Main.CreateDatabaseAsync("bench_drain");
        await using (var context = new DrainBenchContext(new DbContextOptionsBuilder<DrainBenchContext>().UseNpgsql(_connectionString).Options))
        {
            await context.Database.EnsureCreatedAsync();
        }

        var (app, url) = WebhookReceiver.Start(onRequest: () => Interlocked.Increment(ref _requests));
        _receiver = app;
        _url = new Uri(url);

        // Writes the backlog as the store's queued path does, with a subscriber for the endpoint's destination and no worker.
        _fill = BenchmarkHost.Start(log =>
        {
            log.Services.AddDbContext<DrainBenchContext>(o => o.UseNpgsql(_connectionString));
            log.Services.AddSingleton<IActivityOutboxSubscriber>(new BacklogSubscriber(Destination));
            log.Configure(o =>
                {
                    o.QueueCapacity = Backlog;
                    o.MaxBatchSize = 1_000;
                })
                .AddEntityFrameworkStore<DrainBenchContext>()
                .UsePostgreSqlBinaryCopy();
        });

        _meter = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ActivityLogDiagnostics.WebhooksMeterName && instrument.Name == "activitylog.webhooks.events.delivered")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meter.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (Interlocked.Add(ref _delivered, value) >= Backlog)
            {
                _done.TrySetResult();
            }
        });
        _meter.Start();

        // Every command Npgsql sends while the drain host runs, by its first words: the round trips per batch.
        _npgsql = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => _drain is null ? ActivitySamplingResult.None : ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (_drain is not null)
                {
                    _commands.AddOrUpdate(Kind(activity), (1, activity.Duration), (_, n) => (n.Count + 1, n.Time + activity.Duration));
                }
            },
        };
        ActivitySource.AddActivityListener(_npgsql);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _npgsql.Dispose();
        _meter.Dispose();
        _fill.StopAsync().GetAwaiter().GetResult();
        _fill.Dispose();
        _receiver.StopAsync().GetAwaiter().GetResult();
        _receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
        NpgsqlConnection.ClearAllPools();
        PostgresServer.Main.DropDatabaseAsync(_connectionString).GetAwaiter().GetResult();
    }

    [IterationSetup]
    public void FillBacklog()
    {
        var recorder = _fill.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = _fill.Services.GetRequiredService<IActivityDispatcher>();
        for (int i = 0; i < Backlog; i++)
        {
            recorder.Record(
                "activity_log.user.updated",
                actor: ActivityActor.User(783, "Jane Doe"),
                resource: new ActivityResource("user", 783 + (i % 1000), "Jane Doe"),
                changes:
                [
                    ActivityChange.Of("name", "Jane", "Jane Doe"),
                    ActivityChange.Of("title", "Engineer", "Senior engineer"),
                    ActivityChange.Of("department", "Platform", "Platform and infrastructure"),
                    ActivityChange.Of("location", "Lisbon", "Porto"),
                ],
                accountId: "acme");
        }

        dispatcher.FlushAsync().GetAwaiter().GetResult();
        long pending = _fill.Services.GetRequiredService<IActivityOutbox>().CountPendingAsync(Destination).GetAwaiter().GetResult();
        if (pending != Backlog)
        {
            throw new InvalidOperationException($"The backlog holds {pending} events, not {Backlog}.");
        }

        Interlocked.Exchange(ref _delivered, 0);
        Interlocked.Exchange(ref _requests, 0);
        _commands.Clear();
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _drain = BuildDrainHost();
        _timed = _drain.Services.GetRequiredService<TimedOutbox>();
    }

    [Benchmark(OperationsPerInvoke = Backlog, Description = "PostgreSQL outbox backlog → 1 endpoint, per event")]
    public async Task Drain()
    {
        var started = Stopwatch.GetTimestamp();
        await _drain!.StartAsync();
        await _done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        _timed!.Elapsed = Stopwatch.GetElapsedTime(started);
    }

    [IterationCleanup]
    public void StopDrain()
    {
        var drain = _drain!;
        var timed = _timed!;
        drain.StopAsync().GetAwaiter().GetResult();
        long pending = timed.CountPendingAsync(Destination).GetAwaiter().GetResult();
        drain.Dispose();
        _drain = null;
        if (pending != 0 || Interlocked.Read(ref _delivered) != Backlog)
        {
            throw new InvalidOperationException($"Delivered {Interlocked.Read(ref _delivered)} of {Backlog}; {pending} still pending.");
        }

        int batches = Math.Max(1, timed.Claims);
        string commands = string.Join(", ", _commands.OrderByDescending(c => c.Value.Time).Select(c => string.Create(CultureInfo.InvariantCulture,
            $"[{c.Key}] {c.Value.Count / (double)batches:F2}x {c.Value.Time.TotalMilliseconds / batches:F2} ms")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"OUTBOX-DRAIN pg-outbox={PostgreSqlOutbox} events={Backlog} wall={timed.Elapsed.TotalMilliseconds:F0} ms ({Backlog / timed.Elapsed.TotalSeconds:F0} events/s) " +
            $"requests={Interlocked.Read(ref _requests)} claims={timed.Claims} (empty {timed.EmptyClaims}) " +
            $"claim={timed.ClaimTime.TotalMilliseconds / batches:F2} ms/batch complete={timed.CompleteTime.TotalMilliseconds / batches:F2} ms/batch " +
            $"commands per batch (count, time): {commands}"));
    }

    private IHost BuildDrainHost()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<DrainBenchContext>(o => o.UseNpgsql(_connectionString));
        var log = builder.Services.AddActivityLog().AddEntityFrameworkStore<DrainBenchContext>();
        if (PostgreSqlOutbox)
        {
            log.UsePostgreSqlOutbox();
        }

        log.AddWebhooks(o =>
        {
            o.AllowLoopback = true;
            o.Endpoints[Endpoint] = new WebhookEndpointOptions { Url = _url, Secret = WebhookReceiver.Secret };
        });

        // The last IActivityOutbox registered is the one the webhooks use: the store's, timed.
        builder.Services.AddSingleton<EntityFrameworkActivityOutbox<DrainBenchContext>>();
        builder.Services.AddSingleton(sp => new TimedOutbox(sp.GetRequiredService<EntityFrameworkActivityOutbox<DrainBenchContext>>()));
        builder.Services.AddSingleton<IActivityOutbox>(sp => sp.GetRequiredService<TimedOutbox>());
        return builder.Build();
    }

    /// <summary>A command's kind for the breakdown: its first two words (<c>SELECT …</c>, <c>UPDATE …</c>, <c>COMMIT</c>).</summary>
    private static string Kind(Activity activity)
    {
        string? text = activity.GetTagItem("db.query.text") as string ?? activity.GetTagItem("db.statement") as string;
        if (text is null)
        {
            return activity.DisplayName;
        }

        var words = text.TrimStart().Split([' ', '\n', '\r', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        return words.Length >= 2 ? $"{words[0]} {words[1]}" : words.FirstOrDefault() ?? "?";
    }

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new EventsPerSecondColumn());
    }

    /// <summary>Events per second: one operation is one event.</summary>
    private sealed class EventsPerSecondColumn : IColumn
    {
        public string Id => nameof(EventsPerSecondColumn);

        public string ColumnName => "Events/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Events delivered per second (1e9 / median ns per event)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            return statistics is null ? "NA" : (1e9 / statistics.Median).ToString("N0", CultureInfo.InvariantCulture);
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}

/// <summary>The benchmark's context: the host's own model with the activity log and its outbox.</summary>
public sealed class DrainBenchContext(DbContextOptions<DrainBenchContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog();
}

/// <summary>Asks the store for an outbox delivery per event for one destination (what the webhooks package's subscriber does).</summary>
internal sealed class BacklogSubscriber(string destination) : IActivityOutboxSubscriber
{
    public string Destination { get; } = destination;

    public bool Accepts(ActivityLogEvent activity) => true;
}

/// <summary>The store's outbox with the time of its claims and completions summed up.</summary>
internal sealed class TimedOutbox(IActivityOutbox inner) : IActivityOutbox
{
    private long _claimTicks;
    private long _completeTicks;
    private int _claims;
    private int _emptyClaims;

    public TimeSpan Elapsed { get; set; }

    public int Claims => Volatile.Read(ref _claims);

    public int EmptyClaims => Volatile.Read(ref _emptyClaims);

    public TimeSpan ClaimTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _claimTicks));

    public TimeSpan CompleteTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _completeTicks));

    public async Task<ActivityOutboxBatch?> ClaimAsync(string destination, ActivityOutboxClaim claim, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var batch = await inner.ClaimAsync(destination, claim, cancellationToken);
        Interlocked.Add(ref _claimTicks, Stopwatch.GetTimestamp() - start);
        Interlocked.Increment(ref batch is null ? ref _emptyClaims : ref _claims);
        return batch;
    }

    public async Task CompleteAsync(ActivityOutboxBatch batch, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        await inner.CompleteAsync(batch, cancellationToken);
        Interlocked.Add(ref _completeTicks, Stopwatch.GetTimestamp() - start);
    }

    public Task RetryLaterAsync(ActivityOutboxBatch batch, DateTimeOffset retryAt, string reason, CancellationToken cancellationToken = default) =>
        inner.RetryLaterAsync(batch, retryAt, reason, cancellationToken);

    public Task DeadLetterAsync(ActivityOutboxBatch batch, string reason, CancellationToken cancellationToken = default) =>
        inner.DeadLetterAsync(batch, reason, cancellationToken);

    public Task<IReadOnlyList<ActivityOutboxDeadLetter>> ListDeadLettersAsync(string? destination, int limit = 100, CancellationToken cancellationToken = default) =>
        inner.ListDeadLettersAsync(destination, limit, cancellationToken);

    public Task<bool> RedeliverAsync(Guid batchId, CancellationToken cancellationToken = default) => inner.RedeliverAsync(batchId, cancellationToken);

    public Task<ActivityOutboxDueList> ListDueAsync(int limit, CancellationToken cancellationToken = default) => inner.ListDueAsync(limit, cancellationToken);

    public Task<int> RecoverAsync(string destination, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        inner.RecoverAsync(destination, since, cancellationToken);

    public Task<long> DiscardPendingAsync(string destination, bool includeDeadLetters = false, CancellationToken cancellationToken = default) =>
        inner.DiscardPendingAsync(destination, includeDeadLetters, cancellationToken);

    public Task<long> CountPendingAsync(string destination, CancellationToken cancellationToken = default) => inner.CountPendingAsync(destination, cancellationToken);
}

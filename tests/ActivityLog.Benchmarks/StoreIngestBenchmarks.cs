using System.Globalization;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.EntityFrameworkCore.PostgreSQL;
using ActivityLog.EntityFrameworkCore.Storage;
using ActivityLog.Testing.Postgres;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;
using RunStrategy = BenchmarkDotNet.Engines.RunStrategy;

namespace ActivityLog.Benchmarks;

/// <summary>
/// Ingest into local PostgreSQL (127.0.0.1:5432), per event, in one run: (a) raw Npgsql binary COPY of the same rows
/// in the same batches (the baseline), (b) the store sink's generic EF Core path, (c) the sink with the binary COPY
/// writer, (d) the queued path end to end: <c>Record</c> N events through a real host with the COPY writer, then
/// <c>FlushAsync</c>. Target for (d): at least 50,000 events/s. (a2) and (e) repeat (a) and (d) with 5,000 rows per
/// COPY (the dispatcher's <c>MaxBatchSize</c>), to show what the per-statement round trips cost.
/// </summary>
/// <remarks>
/// Each iteration writes <see cref="EventCount"/> audit-shaped events (about 230 bytes of columns and a small jsonb)
/// into an emptied table (<c>TRUNCATE</c> before every iteration), in batches of <see cref="BatchSize"/>, the
/// dispatcher's default. The time per operation is the time per event; the Events/s column is its inverse. The
/// database is created for the run and dropped after it. Every iteration checks that exactly <see cref="EventCount"/>
/// distinct events were stored and none dropped. The floor under (c), (d) and (e) is the server's work per row (the
/// primary key and the reader's five indexes), which the baseline pays too.
/// </remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 15, invocationCount: 1)]
[MemoryDiagnoser]
[MedianColumn]
[Config(typeof(Columns))]
public class StoreIngestBenchmarks
{
    public const int EventCount = 20_000;
    public const int BatchSize = 500;
    public const int LargeBatchSize = 5_000;

    private string _connectionString = null!;
    private NpgsqlDataSource _dataSource = null!;
    private ServiceProvider _genericServices = null!;
    private ServiceProvider _copyServices = null!;
    private EntityFrameworkActivitySink<IngestBenchContext> _genericSink = null!;
    private EntityFrameworkActivitySink<IngestBenchContext> _copySink = null!;
    private IHost _host = null!;
    private IActivityRecorder _recorder = null!;
    private IActivityDispatcher _dispatcher = null!;
    private IHost _largeBatchHost = null!;
    private IActivityRecorder _largeBatchRecorder = null!;
    private IActivityDispatcher _largeBatchDispatcher = null!;
    private List<List<ActivityLogEvent>> _batches = null!;
    private List<List<StoredActivityLogEvent>> _rowBatches = null!;
    private List<List<StoredActivityLogEvent>> _largeRowBatches = null!;
    private string _copyCommand = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _connectionString = await PostgresServer.Main.CreateDatabaseAsync("bench_ingest");
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        await using (var context = new IngestBenchContext(new DbContextOptionsBuilder<IngestBenchContext>().UseNpgsql(_connectionString).Options))
        {
            await context.Database.EnsureCreatedAsync();
        }

        _genericServices = StoreServices(binaryCopy: false);
        _copyServices = StoreServices(binaryCopy: true);
        _genericSink = _genericServices.GetRequiredService<EntityFrameworkActivitySink<IngestBenchContext>>();
        _copySink = _copyServices.GetRequiredService<EntityFrameworkActivitySink<IngestBenchContext>>();

        // The same processed events for (a), (b) and (c): through the real pipeline, as the dispatcher hands them over.
        var events = Enumerable.Range(0, EventCount).Select(NewEvent).ToList();
        await _genericServices.GetRequiredService<IActivityLogEventProcessor>().ProcessAsync(events, CancellationToken.None);
        _batches = [.. events.Chunk(BatchSize).Select(chunk => chunk.ToList())];
        _rowBatches = [.. _batches.Select(batch => batch.Select(StoredActivityLogEvent.FromActivityLogEvent).ToList())];
        _largeRowBatches = [.. events.Select(StoredActivityLogEvent.FromActivityLogEvent).Chunk(LargeBatchSize).Select(chunk => chunk.ToList())];
        _copyCommand = $"COPY activity_events ({string.Join(", ", RawColumns)}) FROM STDIN (FORMAT BINARY)";

        (_host, _recorder, _dispatcher) = StartHost(BatchSize);
        (_largeBatchHost, _largeBatchRecorder, _largeBatchDispatcher) = StartHost(LargeBatchSize);
    }

    private (IHost, IActivityRecorder, IActivityDispatcher) StartHost(int maxBatchSize)
    {
        var host = BenchmarkHost.Start(log =>
        {
            log.Services.AddDbContext<IngestBenchContext>(o => o.UseNpgsql(_connectionString));
            log.Configure(o =>
                {
                    // Room for a whole invocation: the benchmark measures ingest, not back-pressure (which drops after a wait).
                    o.QueueCapacity = EventCount;
                    o.MaxBatchSize = maxBatchSize;
                })
                .AddEntityFrameworkStore<IngestBenchContext>()
                .UsePostgreSqlBinaryCopy();
        });
        return (host, host.Services.GetRequiredService<IActivityRecorder>(), host.Services.GetRequiredService<IActivityDispatcher>());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var host in new[] { _host, _largeBatchHost })
        {
            host.StopAsync().GetAwaiter().GetResult();
            host.Dispose();
        }

        _genericServices.Dispose();
        _copyServices.Dispose();
        _dataSource.Dispose();
        NpgsqlConnection.ClearAllPools();
        PostgresServer.Main.DropDatabaseAsync(_connectionString).GetAwaiter().GetResult();
    }

    [IterationSetup]
    public void EmptyTable()
    {
        using var command = _dataSource.CreateCommand("TRUNCATE activity_events");
        command.ExecuteNonQuery();
    }

    [IterationCleanup]
    public void CheckStored()
    {
        // A benchmark that lost or doubled rows would measure nothing worth reporting.
        using var command = _dataSource.CreateCommand("SELECT count(DISTINCT id) FROM activity_events");
        long stored = (long)command.ExecuteScalar()!;
        long dropped = _dispatcher.DroppedCount + _largeBatchDispatcher.DroppedCount;
        if (stored != EventCount || dropped != 0)
        {
            throw new InvalidOperationException($"Stored {stored} of {EventCount} events, dropped {dropped}.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EventCount, Description = "(a) raw Npgsql binary COPY, 500 rows/COPY")]
    public Task RawBinaryCopy() => RawCopyAsync(_rowBatches);

    [Benchmark(OperationsPerInvoke = EventCount, Description = "(a2) raw Npgsql binary COPY, 5,000 rows/COPY")]
    public Task RawBinaryCopyLargeBatches() => RawCopyAsync(_largeRowBatches);

    private async Task RawCopyAsync(List<List<StoredActivityLogEvent>> batches)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        foreach (var rows in batches)
        {
            await using var importer = await connection.BeginBinaryImportAsync(_copyCommand);
            foreach (var row in rows)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(row.Id, NpgsqlDbType.Uuid);
                await WriteTextAsync(importer, row.AccountId, NpgsqlDbType.Text);
                await importer.WriteAsync(row.Name, NpgsqlDbType.Text);
                await WriteTextAsync(importer, row.Description, NpgsqlDbType.Text);
                await importer.WriteAsync(row.OccurredAt, NpgsqlDbType.TimestampTz);
                await importer.WriteAsync(row.ActorType, NpgsqlDbType.Text);
                await WriteTextAsync(importer, row.ActorId, NpgsqlDbType.Text);
                await importer.WriteAsync(row.ActorIdIsNumber, NpgsqlDbType.Boolean);
                await WriteTextAsync(importer, row.ActorName, NpgsqlDbType.Text);
                await WriteTextAsync(importer, row.ResourceType, NpgsqlDbType.Text);
                await WriteTextAsync(importer, row.ResourceId, NpgsqlDbType.Text);
                await WriteTextAsync(importer, row.ResourceName, NpgsqlDbType.Text);
                await WriteTextAsync(importer, row.RelatedResources, NpgsqlDbType.Jsonb);
                await importer.WriteAsync(row.Changes, NpgsqlDbType.Jsonb);
                await WriteTextAsync(importer, row.Context, NpgsqlDbType.Jsonb);
                await WriteTextAsync(importer, row.Metadata, NpgsqlDbType.Jsonb);
                await WriteTextAsync(importer, row.SearchText, NpgsqlDbType.Text);
            }

            await importer.CompleteAsync();
        }
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type) =>
        value is null ? importer.WriteNullAsync() : importer.WriteAsync(value, type);

    [Benchmark(OperationsPerInvoke = EventCount, Description = "(b) sink, generic EF Core path")]
    public async Task SinkGenericEfCore()
    {
        foreach (var batch in _batches)
        {
            await _genericSink.WriteBatchAsync(batch, CancellationToken.None);
        }
    }

    [Benchmark(OperationsPerInvoke = EventCount, Description = "(c) sink, binary COPY writer")]
    public async Task SinkBinaryCopy()
    {
        foreach (var batch in _batches)
        {
            await _copySink.WriteBatchAsync(batch, CancellationToken.None);
        }
    }

    [Benchmark(OperationsPerInvoke = EventCount, Description = "(d) queued path: Record + FlushAsync, COPY writer")]
    public Task QueuedPathEndToEnd() => RecordAndFlushAsync(_recorder, _dispatcher);

    [Benchmark(OperationsPerInvoke = EventCount, Description = "(e) queued path as (d), MaxBatchSize 5,000")]
    public Task QueuedPathLargeBatches() => RecordAndFlushAsync(_largeBatchRecorder, _largeBatchDispatcher);

    private static async Task RecordAndFlushAsync(IActivityRecorder recorder, IActivityDispatcher dispatcher)
    {
        for (int i = 0; i < EventCount; i++)
        {
            recorder.Record("activity_log.webhook.updated",
                resource: new ActivityResource("webhook", i, "Logging"),
                changes: [ActivityChange.Of("url", "https://hooks.example.com/old", "https://hooks.example.com/new")],
                actor: ActivityActor.User(783, "Jane Doe"),
                accountId: "acct-0001",
                context: Context,
                metadata: Metadata);
        }

        await dispatcher.FlushAsync();
    }

    private static readonly ActivityRequestContext Context = new() { IpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0 (X11; Linux x86_64)" };

    private static readonly Dictionary<string, object?> Metadata = new() { ["plan"] = "pro" };

    private static ActivityLogEvent NewEvent(int i) => new()
    {
        Name = "activity_log.webhook.updated",
        Actor = ActivityActor.User(783, "Jane Doe"),
        Resource = new ActivityResource("webhook", i, "Logging"),
        Changes = [ActivityChange.Of("url", "https://hooks.example.com/old", "https://hooks.example.com/new")],
        Timestamp = DateTimeOffset.UtcNow,
        AccountId = "acct-0001",
        Context = Context,
        Metadata = Metadata,
    };

    private ServiceProvider StoreServices(bool binaryCopy)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<IngestBenchContext>(o => o.UseNpgsql(_connectionString));
        var builder = services.AddActivityLog().AddEntityFrameworkStore<IngestBenchContext>();
        if (binaryCopy)
        {
            builder.UsePostgreSqlBinaryCopy();
        }

        return services.BuildServiceProvider();
    }

    /// <summary>The table's columns, in the order the raw COPY writes them (typed writes, no boxing: the best a hand-written COPY does).</summary>
    private static readonly string[] RawColumns =
    [
        "id", "account_id", "name", "description", "occurred_at", "actor_type", "actor_id", "actor_id_is_number", "actor_name",
        "resource_type", "resource_id", "resource_name", "related_resources", "changes", "context", "metadata", "search_text",
    ];

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new EventsPerSecondColumn());
    }

    /// <summary>Events per second: one second over the median time per event.</summary>
    private sealed class EventsPerSecondColumn : IColumn
    {
        public string Id => nameof(EventsPerSecondColumn);

        public string ColumnName => "Events/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Events per second (1 s / median time per event)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            summary[benchmarkCase]?.ResultStatistics?.Median is double median && median > 0
                ? (1e9 / median).ToString("N0", CultureInfo.InvariantCulture)
                : "-";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}

/// <summary>The benchmark's host context: the activity log under its default names.</summary>
public sealed class IngestBenchContext(DbContextOptions<IngestBenchContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog();
}

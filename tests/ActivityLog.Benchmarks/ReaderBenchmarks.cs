using ActivityLog.EntityFrameworkCore;
using ActivityLog.Testing.Postgres;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ActivityLog.Testing.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The Activity Log page on PostgreSQL: 1,000,000 events over 100 accounts, one of which holds 100,000. The reader's
/// first page of 50 and its page 1,000 (reached by cursor) of the large account, each against the raw SQL keyset query
/// of the same page through Npgsql (the baseline of its category), and page 1,000 by OFFSET for contrast.
/// </summary>
/// <remarks>
/// <para>
/// The data lives in a database with a fixed name (<see cref="DatabaseName"/>) on the test server (127.0.0.1:5432),
/// seeded once by binary COPY and kept between runs: a marker table records what was seeded, and a database without
/// the current marker is dropped and seeded again. Drop it by hand to reseed:
/// <c>DROP DATABASE activitylog_bench_reader WITH (FORCE)</c>.
/// </para>
/// <para>
/// The global setup checks that the reader, the keyset baseline and OFFSET return the same page, and that PostgreSQL
/// serves the reader's SQL from the <c>ix_activity_events_account_time</c> index (the plans go to the log).
/// </para>
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class ReaderBenchmarks
{
    public const string DatabaseName = "activitylog_bench_reader";

    private const string SeedMarker = "reader-v3 (account+search GIN index): 1000000 events over 90 days, 100 accounts, acct-000 holds 100000, 200 actors each, search text, order ord-1 with 1000 updates";
    private const int EventCount = 1_000_000;
    private const int AccountCount = 100;
    private const string LargeAccount = BenchmarkDatabase.LargeAccount;
    private const int PageSize = 50;
    private const int TargetPage = 1000;
    internal const string Columns =
        "id, account_id, name, description, occurred_at, actor_type, actor_id, actor_id_is_number, actor_name, " +
        "resource_type, resource_id, resource_name, related_resources, changes, context, metadata";

    private ServiceProvider _services = null!;
    private IActivityLogReader _reader = null!;
    private ServiceProvider _pooledServices = null!;
    private IActivityLogReader _pooledReader = null!;
    private NpgsqlDataSource _dataSource = null!;
    private ActivityLogQuery _firstPage = null!;
    private ActivityLogQuery _targetPage = null!;
    private DateTime _positionTime;
    private Guid _positionId;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _pooledServices.Dispose();
        _dataSource.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw SQL keyset (Npgsql)")]
    [BenchmarkCategory("first page")]
    public Task<int> RawFirstPage() => RawKeysetAsync(after: false);

    [Benchmark(Description = "reader")]
    [BenchmarkCategory("first page")]
    public async Task<int> ReaderFirstPage() => (await _reader.ReadPageAsync(_firstPage)).Events.Count;

    [Benchmark(Description = "reader, pooled context")]
    [BenchmarkCategory("first page")]
    public async Task<int> PooledReaderFirstPage() => (await _pooledReader.ReadPageAsync(_firstPage)).Events.Count;

    [Benchmark(Baseline = true, Description = "raw SQL keyset (Npgsql)")]
    [BenchmarkCategory("page 1000")]
    public Task<int> RawKeysetPage1000() => RawKeysetAsync(after: true);

    [Benchmark(Description = "reader, by cursor")]
    [BenchmarkCategory("page 1000")]
    public async Task<int> ReaderPage1000() => (await _reader.ReadPageAsync(_targetPage)).Events.Count;

    [Benchmark(Description = "reader, pooled context, by cursor")]
    [BenchmarkCategory("page 1000")]
    public async Task<int> PooledReaderPage1000() => (await _pooledReader.ReadPageAsync(_targetPage)).Events.Count;

    [Benchmark(Description = "raw SQL OFFSET (contrast)")]
    [BenchmarkCategory("page 1000")]
    public async Task<int> RawOffsetPage1000() => (await RawOffsetPageAsync()).Count;

    private async Task<int> RawKeysetAsync(bool after) => (await RawKeysetPageAsync(after)).Count;

    /// <summary>The page as a hand-written query would read it: the row comparison, all columns, into row objects.</summary>
    private async Task<List<StoredActivityLogEvent>> RawKeysetPageAsync(bool after)
    {
        await using var command = _dataSource.CreateCommand(after
            ? $"SELECT {Columns} FROM activity_events WHERE account_id = $1 AND (occurred_at, id) < ($2, $3) ORDER BY occurred_at DESC, id DESC LIMIT $4"
            : $"SELECT {Columns} FROM activity_events WHERE account_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LargeAccount });
        if (after)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = _positionTime });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _positionId });
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PageSize });
        return await ReadRowsAsync(command);
    }

    private async Task<List<StoredActivityLogEvent>> RawOffsetPageAsync()
    {
        await using var command = _dataSource.CreateCommand(
            $"SELECT {Columns} FROM activity_events WHERE account_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2 OFFSET $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LargeAccount });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PageSize });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (TargetPage - 1) * PageSize });
        return await ReadRowsAsync(command);
    }

    internal static async Task<List<StoredActivityLogEvent>> ReadRowsAsync(NpgsqlCommand command)
    {
        var rows = new List<StoredActivityLogEvent>(PageSize);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new StoredActivityLogEvent
            {
                Id = reader.GetGuid(0),
                AccountId = reader.GetString(1),
                Name = reader.GetString(2),
                Description = reader.IsDBNull(3) ? null : reader.GetString(3),
                OccurredAt = reader.GetDateTime(4),
                ActorType = reader.GetString(5),
                ActorId = reader.IsDBNull(6) ? null : reader.GetString(6),
                ActorIdIsNumber = reader.GetBoolean(7),
                ActorName = reader.IsDBNull(8) ? null : reader.GetString(8),
                ResourceType = reader.IsDBNull(9) ? null : reader.GetString(9),
                ResourceId = reader.IsDBNull(10) ? null : reader.GetString(10),
                ResourceName = reader.IsDBNull(11) ? null : reader.GetString(11),
                RelatedResources = reader.IsDBNull(12) ? null : reader.GetString(12),
                Changes = reader.GetString(13),
                Context = reader.IsDBNull(14) ? null : reader.GetString(14),
                Metadata = reader.IsDBNull(15) ? null : reader.GetString(15),
            });
        }

        return rows;
    }

    private async Task SetupAsync()
    {
        string connectionString = await EnsureSeededAsync();
        _dataSource = NpgsqlDataSource.Create(connectionString);

        // The reader exactly as an app without its own model registers it.
        _services = NewServices(connectionString, interceptor: null);
        _reader = _services.GetRequiredService<IActivityLogReader>();

        // The same reader over a host context registered with AddDbContextPool: the reader takes whatever the host
        // registered, and a pooled context skips EF Core's per-context service setup.
        var pooled = new ServiceCollection();
        pooled.AddDbContextPool<ActivityLogDbContext>(db => db.UseNpgsql(connectionString));
        pooled.AddActivityLog().AddEntityFrameworkStore<ActivityLogDbContext>();
        _pooledServices = pooled.BuildServiceProvider();
        _pooledReader = _pooledServices.GetRequiredService<IActivityLogReader>();
        _firstPage = new ActivityLogQuery(LargeAccount) { PageSize = PageSize };

        // Page 1,000 by walking 999 pages of cursors, as a user clicking "older" would.
        var query = _firstPage;
        ActivityLogPage page = null!;
        for (int i = 1; i < TargetPage; i++)
        {
            page = await _reader.ReadPageAsync(query);
            query = query with { Cursor = page.NextCursor ?? throw new InvalidOperationException($"The large account ran out of pages at page {i}.") };
        }

        _targetPage = query;
        _positionTime = page.Events[^1].Timestamp.UtcDateTime;
        _positionId = page.Events[^1].Id;

        var readerIds = (await _reader.ReadPageAsync(_targetPage)).Events.Select(e => e.Id).ToList();
        var keysetIds = (await RawKeysetPageAsync(after: true)).Select(r => r.Id).ToList();
        var offsetIds = (await RawOffsetPageAsync()).Select(r => r.Id).ToList();
        var pooledIds = (await _pooledReader.ReadPageAsync(_targetPage)).Events.Select(e => e.Id).ToList();
        var firstIds = (await _reader.ReadPageAsync(_firstPage)).Events.Select(e => e.Id).ToList();
        var rawFirstIds = (await RawKeysetPageAsync(after: false)).Select(r => r.Id).ToList();
        if (readerIds.Count != PageSize || !readerIds.SequenceEqual(keysetIds) || !readerIds.SequenceEqual(offsetIds) || !readerIds.SequenceEqual(pooledIds) ||
            !firstIds.SequenceEqual(rawFirstIds))
        {
            throw new InvalidOperationException("The reader, the keyset baseline and OFFSET disagree on a page: the benchmark would compare different work.");
        }

        await ExplainReaderQueriesAsync(connectionString);
    }

    private static ServiceProvider NewServices(string connectionString, IInterceptor? interceptor)
    {
        var services = new ServiceCollection();
        services.AddActivityLog().AddEntityFrameworkStore(db =>
        {
            db.UseNpgsql(connectionString);
            if (interceptor is not null)
            {
                db.AddInterceptors(interceptor);
            }
        });
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Runs EXPLAIN ANALYZE on the SQL the reader sends, with its parameters: for the large account's first page and page
    /// 1,000, and for the first page of an ordinary account (about 9,000 events). A sequential scan or a full sort fails
    /// the setup; a plan that does not use ix_activity_events_account_time is reported (PostgreSQL may prefer
    /// ix_activity_events_occurred_at for an account that holds a tenth of the table; see the report of this benchmark).
    /// </summary>
    private async Task ExplainReaderQueriesAsync(string connectionString)
    {
        var capture = new CommandCapture();
        await using var services = NewServices(connectionString, capture);
        var reader = services.GetRequiredService<IActivityLogReader>();
        var cases = new[]
        {
            ("large account, first page", _firstPage),
            ("large account, page 1000", _targetPage),
            ("ordinary account, first page", new ActivityLogQuery("acct-042") { PageSize = PageSize }),
        };
        foreach (var (label, query) in cases)
        {
            await reader.ReadPageAsync(query);
            await using var command = _dataSource.CreateCommand("EXPLAIN (ANALYZE, BUFFERS) " + capture.Text);
            foreach (var (name, value) in capture.Parameters)
            {
                command.Parameters.Add(new NpgsqlParameter(name, value));
            }

            var plan = new List<string>();
            await using (var rows = await command.ExecuteReaderAsync())
            {
                while (await rows.ReadAsync())
                {
                    plan.Add(rows.GetString(0));
                }
            }

            Console.WriteLine($"// EXPLAIN of the reader's query, {label}:\n// {capture.Text.ReplaceLineEndings(" ")}\n//   " + string.Join("\n//   ", plan));
            // A full sort is a "Sort  (cost=…" node; an incremental sort of a presorted key and "Sort Key:" lines are fine.
            if (plan.Any(l => l.Contains("Seq Scan", StringComparison.Ordinal) || l.TrimStart().StartsWith("Sort  (", StringComparison.Ordinal) ||
                l.Contains("->  Sort  (", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"The reader's query ({label}) scans the table or sorts it in full.");
            }

            Console.WriteLine(plan.Any(l => l.Contains("ix_activity_events_account_time", StringComparison.Ordinal))
                ? $"// {label}: served by ix_activity_events_account_time."
                : $"// WARNING {label}: NOT served by ix_activity_events_account_time.");
        }
    }

    /// <summary>Creates and seeds the benchmark database unless the marker says it is already there.</summary>
    internal static Task<string> EnsureSeededAsync() =>
        BenchmarkDatabase.EnsureSeededAsync(DatabaseName, SeedMarker, AccountOf, EventCount);

    /// <summary>Every tenth event in the large account, the rest spread over the 99 others.</summary>
    private static string AccountOf(int i) =>
        i % 10 == 0 ? LargeAccount : $"acct-{1 + (int)(((uint)i * 2654435761u) % (AccountCount - 1)):000}";
}

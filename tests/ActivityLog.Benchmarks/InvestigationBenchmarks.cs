using System.Globalization;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Testing.EntityFrameworkCore;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The investigation reads of issue 14 on PostgreSQL, 1,000,000 events of which 100,000 are in the viewer's account
/// (the database of <see cref="ReaderBenchmarks"/>): the first page of a 7-day range by one actor, a full-text search's
/// first page (a rare word and a common one) and a resource's state at a point in time rebuilt from 1,000 changes.
/// Each category's baseline is the same work as hand-written SQL through Npgsql in the same run. Targets: the page at
/// most 2x its baseline; a search's first page at most 20 ms; the point in time at most 10 ms.
/// </summary>
/// <remarks>
/// <para>
/// The 7-day range is the last week before the data set's end (<see cref="BenchmarkDatabase.End"/>), with both bounds
/// set, so that events recorded by other benchmarks (the page's viewing events) stay out of every row.
/// </para>
/// <para>
/// Two registrations of the reader: the store's own (<c>AddEntityFrameworkStore(db => …)</c>, which pools its
/// context) and a host context registered with <c>AddDbContext</c> (a new context per read). "default
/// implementation" is the interface's own <see cref="IActivityLogReader.GetResourceStateAsync"/> (pages of
/// <c>ReadAllAsync</c>, a context per page) over the pooled reader, kept to compare with the store's override.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class InvestigationBenchmarks
{
    private const string Account = BenchmarkDatabase.LargeAccount;
    private const int PageSize = 50;
    private const string RangeCategory = "7-day range + actor, first page";
    private const string RareCategory = "search (rare word), first page";
    private const string CommonCategory = "search (common word), first page";
    private const string HistoryCategory = "point in time, 1,000 changes";

    private static readonly DateTimeOffset RangeStart = BenchmarkDatabase.End.AddDays(-7);
    private static readonly string Actor = BenchmarkDatabase.UserId(0, BenchmarkDatabase.BusiestActor).ToString(CultureInfo.InvariantCulture);

    private ServiceProvider _pooledServices = null!;
    private ServiceProvider _hostServices = null!;
    private IActivityLogReader _pooled = null!;
    private IActivityLogReader _host = null!;
    private IActivityLogReader _defaultHistory = null!;
    private NpgsqlDataSource _dataSource = null!;
    private ActivityLogQuery _range = null!;
    private ActivityLogQuery _rare = null!;
    private ActivityLogQuery _common = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _pooledServices.Dispose();
        _hostServices.Dispose();
        _dataSource.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw SQL keyset (Npgsql)")]
    [BenchmarkCategory(RangeCategory)]
    public async Task<int> RawRange() => (await RawRangeAsync()).Count;

    [Benchmark(Description = "reader (AddEntityFrameworkStore, pooled)")]
    [BenchmarkCategory(RangeCategory)]
    public async Task<int> ReaderRange() => (await _pooled.ReadPageAsync(_range)).Events.Count;

    [Benchmark(Description = "reader over the host's AddDbContext")]
    [BenchmarkCategory(RangeCategory)]
    public async Task<int> HostReaderRange() => (await _host.ReadPageAsync(_range)).Events.Count;

    [Benchmark(Baseline = true, Description = "raw SQL tsvector (Npgsql)")]
    [BenchmarkCategory(RareCategory)]
    public async Task<int> RawRare() => (await RawSearchAsync(BenchmarkDatabase.RareWord)).Count;

    [Benchmark(Description = "reader (AddEntityFrameworkStore, pooled)")]
    [BenchmarkCategory(RareCategory)]
    public async Task<int> ReaderRare() => (await _pooled.ReadPageAsync(_rare)).Events.Count;

    [Benchmark(Baseline = true, Description = "raw SQL tsvector (Npgsql)")]
    [BenchmarkCategory(CommonCategory)]
    public async Task<int> RawCommon() => (await RawSearchAsync(BenchmarkDatabase.CommonWord)).Count;

    [Benchmark(Description = "reader (AddEntityFrameworkStore, pooled)")]
    [BenchmarkCategory(CommonCategory)]
    public async Task<int> ReaderCommon() => (await _pooled.ReadPageAsync(_common)).Events.Count;

    [Benchmark(Baseline = true, Description = "raw SQL history (Npgsql) + the same fold")]
    [BenchmarkCategory(HistoryCategory)]
    public async Task<int> RawState() => (await RawStateAsync()).EventCount;

    [Benchmark(Description = "interface default (ReadAllAsync pages), pooled")]
    [BenchmarkCategory(HistoryCategory)]
    public async Task<int> DefaultState() => (await StateAsync(_defaultHistory)).EventCount;

    [Benchmark(Description = "reader (AddEntityFrameworkStore, pooled)")]
    [BenchmarkCategory(HistoryCategory)]
    public async Task<int> ReaderState() => (await StateAsync(_pooled)).EventCount;

    [Benchmark(Description = "reader over the host's AddDbContext")]
    [BenchmarkCategory(HistoryCategory)]
    public async Task<int> HostReaderState() => (await StateAsync(_host)).EventCount;

    private static Task<ActivityResourceState> StateAsync(IActivityLogReader reader) =>
        reader.GetResourceStateAsync(Account, "order", BenchmarkDatabase.HistoryOrder, BenchmarkDatabase.End);

    private Task<List<StoredActivityLogEvent>> RawRangeAsync()
    {
        var command = _dataSource.CreateCommand(
            $"SELECT {ReaderBenchmarks.Columns} FROM activity_events WHERE account_id = $1 AND actor_type = $2 AND actor_id = $3 " +
            "AND occurred_at >= $4 AND occurred_at < $5 ORDER BY occurred_at DESC, id DESC LIMIT $6");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Account });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "user" });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Actor });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = RangeStart.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = BenchmarkDatabase.End.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PageSize + 1 });
        return ReadAndDisposeAsync(command);
    }

    /// <summary>The search as a hand-written query would run it: the account, the GIN-indexed vector, newest first.</summary>
    private Task<List<StoredActivityLogEvent>> RawSearchAsync(string word)
    {
        var command = _dataSource.CreateCommand(
            $"SELECT {ReaderBenchmarks.Columns} FROM activity_events WHERE account_id = $1 AND search_vector @@ to_tsquery('simple', $2) " +
            "ORDER BY occurred_at DESC, id DESC LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Account });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"'{word}':*" });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PageSize + 1 });
        return ReadAndDisposeAsync(command);
    }

    private async Task<ActivityResourceState> RawStateAsync()
    {
        var command = _dataSource.CreateCommand(
            $"SELECT {ReaderBenchmarks.Columns} FROM activity_events WHERE account_id = $1 AND resource_type = 'order' AND resource_id = $2 " +
            "AND occurred_at <= $3 ORDER BY occurred_at, id");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Account });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = BenchmarkDatabase.HistoryOrder });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = BenchmarkDatabase.End.UtcDateTime });
        var state = new ActivityResourceStateBuilder("order", BenchmarkDatabase.HistoryOrder, BenchmarkDatabase.End);
        foreach (var row in await ReadAndDisposeAsync(command))
        {
            state.Apply(row.ToActivityLogEvent());
        }

        return state.Build();
    }

    private static async Task<List<StoredActivityLogEvent>> ReadAndDisposeAsync(NpgsqlCommand command)
    {
        await using (command)
        {
            return await ReaderBenchmarks.ReadRowsAsync(command);
        }
    }

    private async Task SetupAsync()
    {
        string connectionString = await ReaderBenchmarks.EnsureSeededAsync();
        _dataSource = NpgsqlDataSource.Create(connectionString);
        var pooled = new ServiceCollection();
        pooled.AddActivityLog().AddEntityFrameworkStore(db => db.UseNpgsql(connectionString));
        _pooledServices = pooled.BuildServiceProvider();
        _pooled = _pooledServices.GetRequiredService<IActivityLogReader>();
        _defaultHistory = new InterfaceDefaults(_pooled);

        var host = new ServiceCollection();
        host.AddDbContext<ActivityLogDbContext>(db => db.UseNpgsql(connectionString));
        host.AddActivityLog().AddEntityFrameworkStore<ActivityLogDbContext>();
        _hostServices = host.BuildServiceProvider();
        _host = _hostServices.GetRequiredService<IActivityLogReader>();

        _range = new ActivityLogQuery(Account) { ActorType = "user", ActorId = Actor, From = RangeStart, To = BenchmarkDatabase.End, PageSize = PageSize };
        _rare = new ActivityLogQuery(Account) { Search = BenchmarkDatabase.RareWord, PageSize = PageSize };
        _common = new ActivityLogQuery(Account) { Search = BenchmarkDatabase.CommonWord, PageSize = PageSize };

        // Fail the setup, not the numbers, when the rows would compare different work.
        await SamePageAsync("7-day range + actor", _range, RawRangeAsync);
        await SamePageAsync($"search '{BenchmarkDatabase.RareWord}'", _rare, () => RawSearchAsync(BenchmarkDatabase.RareWord));
        await SamePageAsync($"search '{BenchmarkDatabase.CommonWord}'", _common, () => RawSearchAsync(BenchmarkDatabase.CommonWord));
        var states = new[] { await RawStateAsync(), await StateAsync(_defaultHistory), await StateAsync(_pooled), await StateAsync(_host) };
        foreach (var state in states)
        {
            if (state.EventCount != 1001 || !state.SeenCreated || state.LastEvent?.Id != states[0].LastEvent?.Id ||
                !state.Fields.Select(f => $"{f.Key}={f.Value}").SequenceEqual(states[0].Fields.Select(f => $"{f.Key}={f.Value}")))
            {
                throw new InvalidOperationException($"A state of order {BenchmarkDatabase.HistoryOrder} differs: {state.EventCount} events, {state.Fields.Count} fields.");
            }
        }

        Console.WriteLine($"// State of {BenchmarkDatabase.HistoryOrder}: {states[0].EventCount} events, fields " +
            string.Join(", ", states[0].Fields.Select(f => $"{f.Key}={f.Value}")));
        await using (var counts = _dataSource.CreateCommand(
            "SELECT count(*) FILTER (WHERE occurred_at >= $2 AND occurred_at < $3), " +
            "count(*) FILTER (WHERE actor_type = 'user' AND actor_id = $4 AND occurred_at >= $2 AND occurred_at < $3), " +
            "count(*) FILTER (WHERE search_vector @@ to_tsquery('simple', $5)), count(*) FILTER (WHERE search_vector @@ to_tsquery('simple', $6)) " +
            "FROM activity_events WHERE account_id = $1"))
        {
            counts.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Account });
            counts.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = RangeStart.UtcDateTime });
            counts.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = BenchmarkDatabase.End.UtcDateTime });
            counts.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Actor });
            counts.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"'{BenchmarkDatabase.RareWord}':*" });
            counts.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"'{BenchmarkDatabase.CommonWord}':*" });
            await using var row = await counts.ExecuteReaderAsync();
            await row.ReadAsync();
            Console.WriteLine($"// {Account}: {row.GetInt64(0):N0} events in the 7 days, {row.GetInt64(1):N0} of them by user {Actor}; " +
                $"'{BenchmarkDatabase.RareWord}' matches {row.GetInt64(2):N0} events, '{BenchmarkDatabase.CommonWord}' {row.GetInt64(3):N0}.");
        }

        await ExplainAsync(connectionString);
    }

    private async Task SamePageAsync(string label, ActivityLogQuery query, Func<Task<List<StoredActivityLogEvent>>> raw)
    {
        var rawIds = (await raw()).Select(r => r.Id).Take(PageSize).ToList();
        var page = await _pooled.ReadPageAsync(query);
        var hostPage = await _host.ReadPageAsync(query);
        if (page.Events.Count != PageSize || page.NextCursor is null || !page.Events.Select(e => e.Id).SequenceEqual(rawIds) ||
            !hostPage.Events.Select(e => e.Id).SequenceEqual(rawIds))
        {
            throw new InvalidOperationException($"The reader and the raw SQL disagree on the first page ({label}), or it is not a full page with a next one.");
        }
    }

    /// <summary>EXPLAIN ANALYZE of the SQL the reader sends for each row, with its parameters, to the log.</summary>
    private async Task ExplainAsync(string connectionString)
    {
        var capture = new CommandCapture();
        var services = new ServiceCollection();
        services.AddActivityLog().AddEntityFrameworkStore(db => db.UseNpgsql(connectionString).AddInterceptors(capture));
        await using var provider = services.BuildServiceProvider();
        var reader = provider.GetRequiredService<IActivityLogReader>();
        foreach (var (label, read) in new (string, Func<Task>)[]
        {
            (RangeCategory, () => reader.ReadPageAsync(_range)),
            (RareCategory, () => reader.ReadPageAsync(_rare)),
            (CommonCategory, () => reader.ReadPageAsync(_common)),
            (HistoryCategory, () => StateAsync(reader)),
        })
        {
            await read();
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
        }
    }

    /// <summary>
    /// A reader with only the two required reads, so that <see cref="IActivityLogReader.GetResourceStateAsync"/> is the
    /// interface's default (what a store without its own answers): the "before" of the store's override, in the same run.
    /// </summary>
    private sealed class InterfaceDefaults(IActivityLogReader inner) : IActivityLogReader
    {
        public Task<ActivityLogPage> ReadPageAsync(ActivityLogQuery query, CancellationToken cancellationToken = default) =>
            inner.ReadPageAsync(query, cancellationToken);

        public IAsyncEnumerable<ActivityLogEvent> ReadAllAsync(ActivityLogQuery query, CancellationToken cancellationToken = default) =>
            inner.ReadAllAsync(query, cancellationToken);
    }
}

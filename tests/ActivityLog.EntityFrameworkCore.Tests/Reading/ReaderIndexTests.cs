using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Testing.EntityFrameworkCore;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>
/// The model's indexes serve the reader's queries: SQLite's plan for each filter shape searches the matching index and
/// needs no sort. (PostgreSQL's cost-based choice needs realistic volumes; ReaderBenchmarks checks its plans on 1,000,000
/// rows.)
/// </summary>
public sealed class ReaderIndexTests
{
    public static TheoryData<string, string> Shapes => new()
    {
        { "account", "ix_activity_events_account_time" },
        { "account, page 2", "ix_activity_events_account_time" },
        { "account, time range", "ix_activity_events_account_time" },
        { "actor", "ix_activity_events_account_actor" },
        { "actor, page 2", "ix_activity_events_account_actor" },
        { "resource", "ix_activity_events_account_resource" },
        { "one event name", "ix_activity_events_account_name" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Each_filter_shape_searches_its_index_without_sorting(string shape, string index)
    {
        var capture = new CommandCapture();
        await using var store = await ReadingTestStore.CreateAsync(DatabaseProvider.Sqlite, configureContext: o => o.AddInterceptors(capture));
        var random = new Random(51);
        await store.InsertAsync(Enumerable.Range(0, 20).Select(i => Event(
            RandomId(random), "acct", Base.AddSeconds(i), actor: ActivityActor.User(1, "John"), resource: new ActivityResource("webhook", 7))));
        string cursor = (await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 5 })).NextCursor!;
        var query = shape switch
        {
            "account" => new ActivityLogQuery("acct"),
            "account, page 2" => new ActivityLogQuery("acct") { Cursor = cursor },
            "account, time range" => new ActivityLogQuery("acct") { From = Base, To = Base.AddSeconds(10) },
            "actor" => new ActivityLogQuery("acct") { ActorType = "user", ActorId = "1" },
            "actor, page 2" => new ActivityLogQuery("acct") { ActorType = "user", ActorId = "1", Cursor = cursor },
            "resource" => new ActivityLogQuery("acct") { ResourceType = "webhook", ResourceId = "7" },
            "one event name" => new ActivityLogQuery("acct") { EventNames = ["activity_log.user.updated"] },
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };

        var page = await store.Reader.ReadPageAsync(query);
        var plan = await ExplainAsync(store, capture);

        page.Events.Should().NotBeEmpty();
        plan.Should().Contain(line => line.Contains($"USING INDEX {index}", StringComparison.Ordinal) ||
            line.Contains($"USING COVERING INDEX {index}", StringComparison.Ordinal), "shape '{0}' plan:\n{1}", shape, string.Join("\n", plan));
        plan.Should().NotContain(line => line.Contains("TEMP B-TREE", StringComparison.Ordinal), "the index order is the page order");
        plan.Should().NotContain(line => line.StartsWith("SCAN", StringComparison.Ordinal), "the account narrows the search");
    }

    private static async Task<List<string>> ExplainAsync(ReadingTestStore store, CommandCapture capture)
    {
        await using var context = store.NewContext();
        var connection = (SqliteConnection)context.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + capture.Text;
        foreach (var (name, value) in capture.Parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        return plan;
    }
}

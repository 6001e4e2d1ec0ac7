using System.Data.Common;
using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static ActivityLog.EntityFrameworkCore.Tests.Storage.StoreTestSupport;

namespace ActivityLog.EntityFrameworkCore.Tests.Storage;

/// <summary>The store sink against real databases: what it stores, and that retried batches store each event once.</summary>
public sealed class EntityFrameworkActivitySinkTests
{
    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Every_field_of_a_processed_event_reads_back_as_it_was_written(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "sink_roundtrip");
        await CreateTablesAsync<StoreTestContext>(database);
        await using var services = StoreServices<StoreTestContext>(database);

        var written = await ProcessAsync(services,
        [
            new ActivityLogEvent
            {
                Name = "activity_log.user.updated",
                Actor = ActivityActor.User(783, "Jane Doe"),
                Resource = new ActivityResource("user", 783, "Jane Doe"),
                RelatedResources = [new ActivityResource("sending_stream", "s-1", "Transactional"), new ActivityResource("domain", 7)],
                Changes =
                [
                    ActivityChange.Of("password", "old-secret", "new-secret"),
                    ActivityChange.Of("plan", "free", "pro"),
                    ActivityChange.Of("limits", null, new Dictionary<string, object?> { ["seats"] = 5, ["trial"] = false, ["tags"] = new[] { "a", "b" } }),
                ],
                Timestamp = Now.AddTicks(1_234_560),
                AccountId = "acct-42",
                Context = new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "curl/8.5", AuthMethod = "GitHub", CorrelationId = "corr-1" },
                Metadata = new Dictionary<string, object?> { ["plan"] = "pro", ["api_key"] = "k-123", ["retries"] = 3, ["ratio"] = 0.5, ["none"] = null },
            },
            new ActivityLogEvent
            {
                Name = "activity_log.user.login_failed",
                Actor = ActivityActor.Unknown,
                Timestamp = Now,
            },
            new ActivityLogEvent
            {
                Name = "activity_log.token.created",
                Actor = ActivityActor.ApiToken("tok-9", "CI token"),
                Resource = new ActivityResource("api_token", "tok-9"),
                Timestamp = Now.AddSeconds(1),
                AccountId = "acct-42",
            },
        ]);

        await Sink<StoreTestContext>(services).WriteBatchAsync(written, CancellationToken.None);

        var rows = await ReadRowsAsync<StoreTestContext>(database);
        rows.Should().HaveCount(3);
        foreach (var original in written)
        {
            var row = rows.Single(r => r.Id == original.Id);
            var read = row.ToActivityLogEvent();
            // JSON equality, as the contract defines it: object members in any order. PostgreSQL's jsonb keeps keys in
            // its own order (shorter first), not the order the app gave its changes and metadata in.
            string expected = ActivityJsonSerializer.Serialize(original, ActivityJsonFields.All);
            string actual = ActivityJsonSerializer.Serialize(read, ActivityJsonFields.All);
            JsonNode.DeepEquals(JsonNode.Parse(actual), JsonNode.Parse(expected)).Should().BeTrue($"the stored event {actual} should be the written {expected}");
            read.Changes.Select(c => c.Field).Should().BeEquivalentTo(original.Changes.Select(c => c.Field));
            read.Timestamp.Should().Be(original.Timestamp, "the whole instant is kept, not just the payload's Unix seconds");
            read.Actor.Should().Be(original.Actor);
            read.Actor.HasNumericId.Should().Be(original.Actor.HasNumericId);
            read.Resource.Should().Be(original.Resource);
            read.RelatedResources.Should().Equal(original.RelatedResources);
            read.Context.Should().Be(original.Context);
            read.Description.Should().Be(original.Description).And.NotBeNullOrEmpty();
            read.AccountId.Should().Be(original.AccountId);
        }

        var updated = rows.Single(r => r.Name == "activity_log.user.updated");
        updated.ActorIdIsNumber.Should().BeTrue();
        updated.ToActivityLogEvent().Actor.NumericId.Should().Be(783);
        // The row holds the redacted values only: the secret never reached the database.
        updated.Changes.Should().NotContain("secret").And.NotContain("k-123");
        JsonNode.Parse(updated.Changes)!["password"]!["to"]!.GetValue<string>().Should().Be("[FILTERED]");
        JsonNode.Parse(updated.Metadata!)!["api_key"]!.GetValue<string>().Should().Be("[FILTERED]");
        JsonNode.Parse(updated.Changes)!["limits"]!["to"]!["seats"]!.GetValue<int>().Should().Be(5);

        var anonymous = rows.Single(r => r.Name == "activity_log.user.login_failed").ToActivityLogEvent();
        anonymous.Actor.IsUnknown.Should().BeTrue();
        anonymous.Resource.Should().BeNull();
        anonymous.Changes.Should().BeEmpty();
        anonymous.Metadata.Should().BeNull();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Writing_the_same_batch_twice_stores_each_event_once(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "sink_twice");
        await CreateTablesAsync<StoreTestContext>(database);
        await using var services = StoreServices<StoreTestContext>(database);
        var batch = await ProcessedEventsAsync(services, 300);
        var sink = Sink<StoreTestContext>(services);

        await sink.WriteBatchAsync(batch, CancellationToken.None);
        await sink.WriteBatchAsync(batch, CancellationToken.None);

        var rows = await ReadRowsAsync<StoreTestContext>(database);
        rows.Select(r => r.Id).Should().BeEquivalentTo(batch.Select(e => e.Id)).And.OnlyHaveUniqueItems();
        (await CountRowsAsync<StoreTestContext>(database, "activity_events")).Should().Be(300);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_retried_batch_that_was_partly_stored_is_completed_without_duplicates(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "sink_partial");
        await CreateTablesAsync<StoreTestContext>(database);
        await using var services = StoreServices<StoreTestContext>(database);
        // More ids than one "which exist" query takes, so the check runs in chunks.
        int count = EntityFrameworkActivitySinkChunk + 700;
        var batch = await ProcessedEventsAsync(services, count);
        var sink = Sink<StoreTestContext>(services);

        // Every other event was stored by an earlier attempt (and the first and last, the edges of the chunks).
        await sink.WriteBatchAsync([.. batch.Where((_, i) => i % 2 == 0 || i == count - 1)], CancellationToken.None);
        await sink.WriteBatchAsync(batch, CancellationToken.None);

        var rows = await ReadRowsAsync<StoreTestContext>(database);
        rows.Should().HaveCount(count);
        rows.Select(r => r.Id).Should().BeEquivalentTo(batch.Select(e => e.Id));
        rows.Select(r => r.ResourceId).Should().OnlyHaveUniqueItems();
    }

    private static int EntityFrameworkActivitySinkChunk => ActivityLog.EntityFrameworkCore.Storage.EntityFrameworkActivitySink<StoreTestContext>.ExistingIdsChunkSize;

    public static TheoryData<DatabaseProvider, ContextRegistration> ProvidersAndRegistrations()
    {
        var data = new TheoryData<DatabaseProvider, ContextRegistration>();
        foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql })
        {
            foreach (var registration in Enum.GetValues<ContextRegistration>())
            {
                data.Add(provider, registration);
            }
        }

        return data;
    }

    [Theory, MemberData(nameof(ProvidersAndRegistrations))]
    public async Task Each_way_of_registering_the_context_stores_the_batch(DatabaseProvider provider, ContextRegistration registration)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "sink_registration");
        await CreateTablesAsync<StoreTestContext>(database);
        await using var services = StoreServices<StoreTestContext>(database, registration);
        var sink = Sink<StoreTestContext>(services);

        // Two batches: a pooled context is returned to the pool and reused for the second.
        var first = await ProcessedEventsAsync(services, 20, "a");
        var second = await ProcessedEventsAsync(services, 20, "b");
        await sink.WriteBatchAsync(first, CancellationToken.None);
        await sink.WriteBatchAsync(second, CancellationToken.None);

        var rows = await ReadRowsAsync<StoreTestContext>(database);
        rows.Select(r => r.Id).Should().BeEquivalentTo(first.Concat(second).Select(e => e.Id));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_renamed_table_and_schema_from_the_model_are_where_events_go(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "sink_renamed");
        await CreateTablesAsync<RenamedStoreTestContext>(database);
        await using var services = StoreServices<RenamedStoreTestContext>(database);
        var batch = await ProcessedEventsAsync(services, 25);

        await Sink<RenamedStoreTestContext>(services).WriteBatchAsync(batch, CancellationToken.None);
        await Sink<RenamedStoreTestContext>(services).WriteBatchAsync(batch, CancellationToken.None);

        // SQLite has no schemas (EF Core leaves the schema out there); PostgreSQL has the table in its own schema.
        string table = provider == DatabaseProvider.PostgreSql
            ? $"\"{RenamedStoreTestContext.Schema}\".\"{RenamedStoreTestContext.Table}\""
            : $"\"{RenamedStoreTestContext.Table}\"";
        (await CountRowsAsync<RenamedStoreTestContext>(database, table)).Should().Be(25);
        (await ReadRowsAsync<RenamedStoreTestContext>(database)).Select(r => r.Id).Should().BeEquivalentTo(batch.Select(e => e.Id));
        var missing = () => CountRowsAsync<RenamedStoreTestContext>(database, "activity_events");
        (await missing.Should().ThrowAsync<DbException>()).Which.Message.Should().Contain("activity_events", "the default table was never created");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_missing_table_makes_the_write_throw_so_the_dispatcher_retries_it(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "sink_notable");
        // No tables: the host has not run its migration yet.
        await using var services = StoreServices<StoreTestContext>(database);
        var batch = await ProcessedEventsAsync(services, 3);

        var write = () => Sink<StoreTestContext>(services).WriteBatchAsync(batch, CancellationToken.None);

        (await write.Should().ThrowAsync<DbException>()).Which.Message.Should().Contain("activity_events");
    }

    [Fact]
    public async Task A_context_whose_model_lacks_the_activity_log_is_named_in_the_error()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "sink_nomodel");
        await using var services = StoreServices<ContextWithoutActivityLog>(database);
        var batch = await ProcessedEventsAsync(services, 1);

        var write = () => Sink<ContextWithoutActivityLog>(services).WriteBatchAsync(batch, CancellationToken.None);

        (await write.Should().ThrowAsync<InvalidOperationException>()).Which.Message
            .Should().Contain(nameof(ContextWithoutActivityLog)).And.Contain("AddActivityLog()");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_first_bulk_writer_that_can_write_the_context_writes_the_batch(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "sink_bulk");
        await CreateTablesAsync<StoreTestContext>(database);
        var refusing = new RecordingBulkWriter(canWrite: false);
        var accepting = new RecordingBulkWriter(canWrite: true);
        await using var services = StoreServices<StoreTestContext>(database, configure: s =>
        {
            s.AddSingleton<IActivityBulkWriter>(refusing);
            s.AddSingleton<IActivityBulkWriter>(accepting);
        });
        var batch = await ProcessedEventsAsync(services, 40);

        await Sink<StoreTestContext>(services).WriteBatchAsync(batch, CancellationToken.None);

        refusing.Asked.Should().Be(1);
        refusing.Written.Should().Be(0);
        accepting.Written.Should().Be(40);
        accepting.ContextTypes.Should().Equal(typeof(StoreTestContext));
        (await ReadRowsAsync<StoreTestContext>(database)).Select(r => r.Id).Should().BeEquivalentTo(batch.Select(e => e.Id));
    }

    private sealed class ContextWithoutActivityLog(DbContextOptions<ContextWithoutActivityLog> options) : DbContext(options);

    /// <summary>
    /// A bulk writer that writes with plain EF Core and remembers what it was given: the contract of the extension
    /// point (which writer is asked, which context and rows it receives) is what these tests check.
    /// </summary>
    private sealed class RecordingBulkWriter(bool canWrite) : IActivityBulkWriter
    {
        public int Asked;
        public int Written;
        public List<Type> ContextTypes { get; } = [];

        public bool CanWrite(DbContext context)
        {
            Interlocked.Increment(ref Asked);
            return canWrite;
        }

        public async Task WriteAsync(DbContext context, IReadOnlyList<StoredActivityLogEvent> rows, CancellationToken cancellationToken)
        {
            ContextTypes.Add(context.GetType());
            context.Set<StoredActivityLogEvent>().AddRange(rows);
            await context.SaveChangesAsync(cancellationToken);
            Interlocked.Add(ref Written, rows.Count);
        }
    }
}

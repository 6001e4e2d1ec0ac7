using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
using ActivityLog.Serialization;
using ActivityLog.Testing.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support.StoreServices;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests;

/// <summary>The binary COPY writer against a real PostgreSQL server, through the store sink.</summary>
public sealed class NpgsqlBinaryCopyWriterTests
{
    [Fact]
    public async Task The_sink_writes_through_copy_and_every_field_reads_back()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_roundtrip");
        await database.CreateTablesAsync<PgStoreContext>();
        var log = new CommandLog();
        await using var services = Create<PgStoreContext>(database, log: log);
        var written = await ProcessAsync(services,
        [
            new ActivityLogEvent
            {
                Name = "activity_log.user.updated",
                Actor = ActivityActor.User(783, "Jane Doe"),
                Resource = new ActivityResource("user", 783, "Jane Doe"),
                RelatedResources = [new ActivityResource("sending_stream", "s-1", "Transactional")],
                Changes =
                [
                    ActivityChange.Of("password", "old-secret", "new-secret"),
                    ActivityChange.Of("plan", "free", "pro"),
                    ActivityChange.Of("limits", null, new Dictionary<string, object?> { ["seats"] = 5, ["tags"] = new[] { "a", "b" } }),
                ],
                Timestamp = Now.AddTicks(1_234_560),
                AccountId = "acct-42",
                Context = new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "curl/8.5", AuthMethod = "GitHub", CorrelationId = "corr-1" },
                Metadata = new Dictionary<string, object?> { ["plan"] = "pro", ["api_key"] = "k-123", ["retries"] = 3, ["none"] = null },
            },
            new ActivityLogEvent { Name = "activity_log.user.login_failed", Actor = ActivityActor.Unknown, Timestamp = Now },
            new ActivityLogEvent
            {
                Name = "activity_log.token.created",
                Actor = ActivityActor.ApiToken("tok-9", "CI token"),
                Resource = new ActivityResource("api_token", "tok-9"),
                Timestamp = Now.AddSeconds(1),
            },
        ]);

        await Sink(services).WriteBatchAsync(written, CancellationToken.None);

        // A first write is one COPY on the context's connection: EF Core itself sent nothing (its path would query
        // for stored ids, then INSERT).
        log.Commands.Should().BeEmpty();
        var rows = await database.ReadRowsAsync<PgStoreContext>();
        rows.Should().HaveCount(written.Count);
        foreach (var original in written)
        {
            var read = rows.Single(r => r.Id == original.Id).ToActivityLogEvent();
            // JSON equality as the contract defines it (jsonb keeps object keys in its own order).
            string expected = ActivityJsonSerializer.Serialize(original, ActivityJsonFields.All);
            string actual = ActivityJsonSerializer.Serialize(read, ActivityJsonFields.All);
            JsonNode.DeepEquals(JsonNode.Parse(actual), JsonNode.Parse(expected)).Should().BeTrue($"the stored event {actual} should be the written {expected}");
            read.Timestamp.Should().Be(original.Timestamp);
            read.Actor.Should().Be(original.Actor);
            read.Resource.Should().Be(original.Resource);
            read.Description.Should().Be(original.Description).And.NotBeNullOrEmpty();
        }

        rows.Single(r => r.Name == "activity_log.user.updated").Changes.Should().NotContain("secret");
    }

    [Fact]
    public async Task Json_columns_hold_jsonb_that_operators_query_into()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_jsonb");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var services = Create<PgStoreContext>(database);
        var batch = await ProcessedEventsAsync(services, 10);

        await Sink(services).WriteBatchAsync(batch, CancellationToken.None);

        (await database.ScalarAsync<string>("SELECT pg_typeof(changes)::text FROM activity_events LIMIT 1")).Should().Be("jsonb");
        (await database.ScalarAsync<long>("""SELECT count(*) FROM activity_events WHERE metadata @> '{"plan":"pro"}'""")).Should().Be(5);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_events WHERE (metadata ->> 'seq')::int >= 7")).Should().Be(3);
        (await database.ScalarAsync<string>("SELECT changes -> 'url' ->> 'to' FROM activity_events WHERE resource_id = 'r3'"))
            .Should().Be("https://new.example/3");
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_events WHERE jsonb_typeof(context) IS NULL AND related_resources IS NULL"))
            .Should().Be(10, "absent parts are SQL NULL, not JSON null");
    }

    [Fact]
    public async Task Writing_the_same_batch_twice_stores_each_event_once()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_twice");
        await database.CreateTablesAsync<PgStoreContext>();
        var log = new CommandLog();
        // One connection per batch, so the commands below are one COPY's fallback (parallel parts: the next test).
        await using var services = Create<PgStoreContext>(database, log: log, store: o => o.ParallelBulkWrites = 1);
        var batch = await ProcessedEventsAsync(services, 500);
        var sink = Sink(services);

        await sink.WriteBatchAsync(batch, CancellationToken.None);
        log.Commands.Should().BeEmpty("the first write is a plain COPY");
        await sink.WriteBatchAsync(batch, CancellationToken.None);

        // The second COPY met the stored ids and stored nothing; the staging path skipped them all.
        log.Commands.Should().HaveCount(2);
        log.Commands.First().Should().StartWith("CREATE TEMP TABLE activitylog_ingest").And.EndWith("ON COMMIT DROP");
        log.Commands.Last().Should().StartWith("INSERT INTO activity_events").And.EndWith("ON CONFLICT (id) DO NOTHING");
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_events")).Should().Be(500);
        (await database.ReadRowsAsync<PgStoreContext>()).Select(r => r.Id).Should().Equal(batch.Select(e => e.Id).Order());
    }

    [Fact]
    public async Task A_batch_split_over_parallel_copies_stores_each_event_once_also_when_retried()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_parallel");
        await database.CreateTablesAsync<PgStoreContext>();
        var log = new CommandLog();
        await using var services = Create<PgStoreContext>(database, log: log, store: o => o.ParallelBulkWrites = 4);
        var batch = await ProcessedEventsAsync(services, 1_000);
        var sink = Sink(services);

        await sink.WriteBatchAsync(batch, CancellationToken.None);
        log.Commands.Should().BeEmpty("each of the four parts is a plain COPY");
        (await database.ReadRowsAsync<PgStoreContext>()).Select(r => r.Id).Should().Equal(batch.Select(e => e.Id).Order());

        // A retry of the whole batch: every part meets its stored ids and falls back to ON CONFLICT DO NOTHING.
        await sink.WriteBatchAsync(batch, CancellationToken.None);
        log.Commands.Count(c => c.StartsWith("INSERT INTO activity_events", StringComparison.Ordinal)).Should().Be(4);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_events")).Should().Be(1_000);
        (await database.ScalarAsync<long>("SELECT count(DISTINCT id) FROM activity_events")).Should().Be(1_000);
    }

    [Fact]
    public async Task Rows_written_through_copy_carry_their_search_text_and_PostgreSQL_indexes_it_without_masked_values()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_search");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var services = Create<PgStoreContext>(database);
        var written = await ProcessAsync(services,
        [
            new ActivityLogEvent
            {
                Name = "activity_log.user.updated",
                Actor = ActivityActor.User(783, "Jane Doe"),
                Resource = new ActivityResource("user", 783, "Jane Doe"),
                RelatedResources = [new ActivityResource("sending_stream", "s-1", "Transactional")],
                Changes = [ActivityChange.Of("password", "old-secret", "new-secret"), ActivityChange.Of("plan", "free", "platinum")],
                Timestamp = Now,
                AccountId = "acct-42",
            },
            new ActivityLogEvent { Name = "activity_log.user.login_failed", Actor = ActivityActor.Unknown, Timestamp = Now, AccountId = "acct-42" },
        ]);

        await Sink(services).WriteBatchAsync(written, CancellationToken.None);

        async Task<long> MatchesAsync(string tsquery) =>
            await database.ScalarAsync<long>($"SELECT count(*) FROM activity_events WHERE search_vector @@ to_tsquery('simple', '{tsquery}')");
        (await MatchesAsync("transactional & platinum & jane")).Should().Be(1, "COPY wrote search_text and PostgreSQL generated the tsvector");
        (await MatchesAsync("filtered:*")).Should().Be(0, "the redaction mask is not searchable");
        (await MatchesAsync("secret:*")).Should().Be(0, "nor what it hides");
    }

    [Fact]
    public async Task A_batch_that_half_exists_is_completed_without_duplicates_or_changes_to_stored_rows()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_partial");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var services = Create<PgStoreContext>(database);
        var batch = await ProcessedEventsAsync(services, 400);
        var writer = services.GetRequiredService<IActivityBulkWriter>();
        var rows = batch.Select(StoredActivityLogEvent.FromActivityLogEvent).ToList();

        // An earlier attempt stored every third row; the retry brings the whole batch.
        await using (var context = database.NewContext<PgStoreContext>())
        {
            await writer.WriteAsync(context, [.. rows.Where((_, i) => i % 3 == 0)], CancellationToken.None);
        }

        var before = (await database.ReadRowsAsync<PgStoreContext>()).ToDictionary(r => r.Id, r => r.ResourceId);
        await Sink(services).WriteBatchAsync(batch, CancellationToken.None);

        var stored = await database.ReadRowsAsync<PgStoreContext>();
        before.Should().HaveCount(134);
        stored.Should().HaveCount(400);
        stored.Select(r => r.Id).Should().Equal(batch.Select(e => e.Id).Order());
        stored.Where(r => before.ContainsKey(r.Id)).Select(r => r.ResourceId).Should().Equal(before.OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public async Task A_renamed_table_schema_and_column_are_honoured()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_renamed");
        await database.CreateTablesAsync<PgRenamedContext>();
        var log = new CommandLog();
        await using var services = Create<PgRenamedContext>(database, log: log);
        var batch = await ProcessedEventsAsync(services, 30);

        await Sink(services).WriteBatchAsync(batch, CancellationToken.None);
        await Sink(services).WriteBatchAsync(batch, CancellationToken.None);

        log.Commands.Should().Contain(c => c.StartsWith("INSERT INTO audit.\"Audit_Trail\"", StringComparison.Ordinal));
        (await database.ScalarAsync<long>("""SELECT count(*) FROM audit."Audit_Trail" """)).Should().Be(30);
        (await database.ScalarAsync<long>("""SELECT count(*) FROM audit."Audit_Trail" WHERE extra @> '{"plan":"free"}'""")).Should().Be(15);
        (await database.ScalarAsync<bool>("SELECT to_regclass('public.activity_events') IS NULL")).Should().BeTrue("the default table was never created");
        (await database.ReadRowsAsync<PgRenamedContext>()).Select(r => r.Metadata).Should().AllSatisfy(m => m.Should().Contain("plan"));
    }

    [Fact]
    public async Task Json_columns_mapped_as_text_are_written_as_text()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_textjson");
        await database.CreateTablesAsync<PgTextJsonContext>();
        await using var services = Create<PgTextJsonContext>(database);
        var batch = await ProcessedEventsAsync(services, 5);

        await Sink(services).WriteBatchAsync(batch, CancellationToken.None);

        (await database.ScalarAsync<string>("SELECT pg_typeof(changes)::text FROM activity_events LIMIT 1")).Should().Be("text");
        var rows = await database.ReadRowsAsync<PgTextJsonContext>();
        rows.Select(r => r.ToActivityLogEvent().Changes.Single().To).Should().HaveCount(5).And.OnlyHaveUniqueItems();
        rows.Select(r => r.Changes).Should().Equal(batch.OrderBy(e => e.Id).Select(e => ActivityJsonParts.SerializeChanges(e.Changes)),
            "text keeps the JSON exactly as written");
    }

    [Fact]
    public async Task A_mapping_copy_cannot_write_is_left_to_the_generic_path()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_converted");
        await database.CreateTablesAsync<PgConvertedContext>();
        var log = new CommandLog();
        await using var services = Create<PgConvertedContext>(database, log: log);
        var batch = await ProcessedEventsAsync(services, 5);

        await using (var context = database.NewContext<PgConvertedContext>())
        {
            services.GetRequiredService<IActivityBulkWriter>().CanWrite(context).Should().BeFalse();
        }

        await Sink(services).WriteBatchAsync(batch, CancellationToken.None);

        // EF Core's own path: the query for stored ids, then its INSERT.
        log.Commands.Should().Contain(c => c.Contains("INSERT INTO activity_events", StringComparison.Ordinal) && c.Contains("VALUES", StringComparison.Ordinal))
            .And.NotContain(c => c.StartsWith("CREATE TEMP TABLE", StringComparison.Ordinal));
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_events WHERE resource_name = 'LOGGING'")).Should().Be(5, "EF Core applied the converter");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_context_with_a_retrying_execution_strategy_is_written_inside_it(bool binaryCopy)
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_strategy");
        await database.CreateTablesAsync<PgStoreContext>();
        var services = new ServiceCollection();
        services.AddLogging();
        // A retrying strategy refuses transactions begun outside it: the writes must run inside it.
        services.AddDbContext<PgStoreContext>(o => o.UseNpgsql(database.ConnectionString, npgsql => npgsql.EnableRetryOnFailure()));
        var activityLog = services.AddActivityLog().AddEntityFrameworkStore<PgStoreContext>();
        if (binaryCopy)
        {
            activityLog.UsePostgreSqlBinaryCopy();
        }

        await using var provider = services.BuildServiceProvider();
        var batch = await ProcessedEventsAsync(provider, 50);

        // Twice: the second write of the COPY writer takes its transactional staging path.
        await Sink(provider).WriteBatchAsync(batch, CancellationToken.None);
        await Sink(provider).WriteBatchAsync(batch, CancellationToken.None);

        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_events")).Should().Be(50);
    }

    [Fact]
    public async Task The_writer_accepts_npgsql_contexts_only()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_canwrite");
        await using var services = Create<PgStoreContext>(database);
        var writer = services.GetRequiredService<IActivityBulkWriter>();
        await using var npgsql = database.NewContext<PgStoreContext>();
        await using var sqlite = new PgStoreContext(new DbContextOptionsBuilder<PgStoreContext>().UseSqlite("Data Source=:memory:").Options);

        writer.CanWrite(npgsql).Should().BeTrue();
        writer.CanWrite(sqlite).Should().BeFalse();
    }

    [Fact]
    public async Task Registering_the_writer_twice_registers_it_once()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddActivityLog().UsePostgreSqlBinaryCopy().UsePostgreSqlBinaryCopy();
        await using var provider = services.BuildServiceProvider();

        provider.GetServices<IActivityBulkWriter>().Should().ContainSingle();
    }
}

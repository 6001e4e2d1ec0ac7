using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.Quarantine;
using ActivityLog.EntityFrameworkCore.Tests.Schema;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Extensibility;
using ActivityLog.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Tests.Quarantine;

/// <summary>
/// The quarantine table that <c>AddEntityFrameworkStore</c> puts in place of the core's in-memory quarantine, on real
/// SQLite files and a real PostgreSQL server: rejected events survive a restart, read back with every field, hold
/// values no other column could, and a retried add keeps one row.
/// </summary>
public sealed class QuarantineTableTests
{
    /// <summary>A moment with microseconds, which the JSON contract (Unix seconds) alone would lose.</summary>
    private static readonly DateTimeOffset OccurredAt = StoreTestHost.Now.AddTicks(1_234_567);

    [Fact]
    public async Task Events_a_sink_rejects_are_listed_from_the_table_by_a_host_started_later_with_every_field()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "quarantine_restart");
        List<ActivityLogEvent> poisoned;
        await using (var first = await StoreTestHost.StartAsync((_, log) => log
            .ConfigureRedaction(r => r.Rewriters.Add((key, value) => key == "note" && value is "poison" ? "poi\0son" : value))
            .AddEntityFrameworkStore(database.Configure, o => o.CreateSchemaOnStart = true)
            .AddSink<NulRefusingSink>()
            .AddCapture()))
        {
            for (int i = 0; i < 10; i++)
            {
                first.Recorder.Record(
                    "activity_log.item.updated",
                    new ActivityResource("item", i, $"Item {i}"),
                    [ActivityChange.Of("note", "old", i == 3 ? "poison" : "fine")],
                    actor: ActivityActor.User(783, "Jane Doe"),
                    accountId: $"acct_{i}",
                    context: new ActivityRequestContext { IpAddress = "203.0.113.7", AuthMethod = "GitHub", CorrelationId = $"req-{i}" },
                    metadata: new Dictionary<string, object?> { ["note"] = i == 7 ? "poison" : "fine", ["seq"] = i });
            }

            await first.Dispatcher.FlushAsync();
            first.Dispatcher.QuarantinedCount.Should().Be(2);
            first.Dispatcher.DroppedCount.Should().Be(0);
            poisoned = [.. first.Services.GetRequiredService<CapturingActivitySink>().Events.Where(e => e.Resource!.Value.Id is "3" or "7")];
        }

        // A new host on the same file: nothing of the first one's memory is left.
        await using var second = await StoreTestHost.StartAsync((_, log) => log.AddEntityFrameworkStore(database.Configure, o => o.CreateSchemaOnStart = true));
        var quarantine = second.Services.GetRequiredService<IActivityQuarantine>();
        quarantine.Should().BeOfType<EntityFrameworkActivityQuarantine<ActivityLogDbContext>>();
        var entries = await quarantine.ListAsync();

        entries.Select(e => e.Event.Id).Should().BeEquivalentTo(poisoned.Select(e => e.Id));
        entries.Should().OnlyContain(e => e.Sink == nameof(NulRefusingSink) && e.Reason == NulRefusingSink.Reason && e.QuarantinedAt == StoreTestHost.Now);
        foreach (var expected in poisoned)
        {
            var read = entries.Single(e => e.Event.Id == expected.Id).Event;
            read.Name.Should().Be(expected.Name);
            read.Description.Should().Be(expected.Description).And.NotBeNullOrEmpty();
            read.Actor.Should().Be(expected.Actor);
            read.Actor.NumericId.Should().Be(783);
            read.Resource.Should().Be(expected.Resource);
            read.Timestamp.Should().Be(expected.Timestamp);
            read.AccountId.Should().Be(expected.AccountId).And.StartWith("acct_");
            read.Context.Should().Be(expected.Context);
            read.Context!.CorrelationId.Should().StartWith("req-");
            read.Changes.Select(c => (c.Field, From: c.From?.ToString(), To: c.To?.ToString()))
                .Should().Equal(expected.Changes.Select(c => (c.Field, From: c.From?.ToString(), To: c.To?.ToString())));
            read.Metadata!.Keys.Should().BeEquivalentTo("note", "seq");
            read.Metadata["seq"]!.ToString().Should().Be(expected.Metadata!["seq"]!.ToString());
        }

        entries.Single(e => e.Event.Resource!.Value.Id == "3").Event.Changes.Single().To.Should().Be("poi\0son", "the NUL the sink refused is in the rebuilt event");
        entries.Single(e => e.Event.Resource!.Value.Id == "7").Event.Metadata!["note"].Should().Be("poi\0son");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task An_entry_reads_back_with_every_field_even_values_no_text_column_holds(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "quarantine_values");
        var activityEvent = new ActivityLogEvent
        {
            Id = Guid.CreateVersion7(OccurredAt),
            Name = "activity_log.webhook.removed",
            Description = "removed the webhook Logging from Transactional",
            Actor = ActivityActor.User(783, "Jane Doe"),
            Resource = new ActivityResource("webhook", "wh_1", "Logging"),
            RelatedResources = [new ActivityResource("stream", "7", "Transactional")],
            Changes = [ActivityChange.Of("url", "https://old.example/\0", null)],
            Timestamp = OccurredAt,
            AccountId = "acct\0_1",
            Context = new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "curl\0/8", AuthMethod = "GitHub", CorrelationId = "req-1" },
            Metadata = new Dictionary<string, object?>
            {
                ["nul"] = "a\0b",
                ["lone"] = "x\uD800y",
                ["emoji"] = "ok \U0001F600",
                ["nested"] = new JsonObject { ["ratio"] = double.NaN, ["list"] = new JsonArray(1, "two\0") },
            },
        };
        var entry = new ActivityQuarantineEntry(activityEvent, "EntityFrameworkActivitySink", "The database refused the batch's rows (SQLSTATE 22021).", StoreTestHost.Now);

        await using (var services = Services(database))
        {
            await services.GetRequiredService<IActivityQuarantine>().AddAsync(entry);
        }

        await using (var services = Services(database))
        {
            var read = (await services.GetRequiredService<IActivityQuarantine>().ListAsync()).Should().ContainSingle().Which;
            read.Sink.Should().Be(entry.Sink);
            read.Reason.Should().Be(entry.Reason);
            read.QuarantinedAt.Should().Be(entry.QuarantinedAt);
            var e = read.Event;
            e.Id.Should().Be(activityEvent.Id);
            e.Name.Should().Be(activityEvent.Name);
            e.Description.Should().Be(activityEvent.Description);
            e.Actor.Should().Be(activityEvent.Actor);
            e.Resource.Should().Be(activityEvent.Resource);
            e.RelatedResources.Should().Equal(activityEvent.RelatedResources);
            e.Timestamp.Should().Be(OccurredAt.AddTicks(-(OccurredAt.Ticks % TimeSpan.TicksPerMicrosecond)), "to the microsecond, as the events table");
            e.AccountId.Should().Be("acct\0_1", "the JSON keeps the exact value");
            e.Context.Should().Be(activityEvent.Context);
            e.Changes.Should().ContainSingle().Which.Should().Be(ActivityChange.Of("url", "https://old.example/\0", null));
            e.Metadata!["nul"].Should().Be("a\0b");
            e.Metadata["lone"].Should().Be("x\uFFFDy", "a lone surrogate cannot be written as UTF-8 anywhere: it is repaired");
            e.Metadata["emoji"].Should().Be("ok \U0001F600");
            var nested = e.Metadata["nested"].Should().BeAssignableTo<JsonObject>().Which;
            nested["ratio"]!.GetValue<string>().Should().Be("NaN", "JSON has no NaN: it is kept as a string");
            nested["list"]!.AsArray().Select(n => n!.ToString()).Should().Equal("1", "two\0");
        }

        // What is really in the columns: ASCII JSON text, and no NUL in the plain columns.
        string json = await ScalarTextAsync(database, "SELECT event_json FROM activity_quarantine");
        json.Should().MatchRegex("^[\\x20-\\x7E]+$").And.Contain("\\u0000");
        (await ScalarTextAsync(database, "SELECT account_id FROM activity_quarantine")).Should().Be("acct\uFFFD_1");
        if (provider == DatabaseProvider.PostgreSql)
        {
            var columns = (await DatabaseCatalog.ColumnTypesAsync(provider, database.ConnectionString, "activity_quarantine")).ToDictionary();
            columns["event_json"].Should().Be("text", "never jsonb, which refuses \\u0000 even escaped");
        }
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_retried_add_keeps_one_row_per_event_and_sink_and_the_list_is_oldest_first(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "quarantine_retry");
        await using var services = Services(database);
        var quarantine = services.GetRequiredService<IActivityQuarantine>();
        var older = Entry("item-1", "StoreSink", StoreTestHost.Now);
        var newer = Entry("item-2", "StoreSink", StoreTestHost.Now.AddMinutes(1));

        await quarantine.AddAsync(newer);
        await quarantine.AddAsync(older);
        await quarantine.AddAsync(older);
        // Adds racing on the same row (a retry while the first is in flight, two instances): one wins, none fails.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => quarantine.AddAsync(newer).AsTask()));
        // The same event rejected by another sink is another entry.
        await quarantine.AddAsync(older with { Sink = "WebhookSink", QuarantinedAt = StoreTestHost.Now.AddMinutes(2) });

        (await DatabaseCatalog.ScalarAsync(provider, database.ConnectionString, "SELECT count(*) FROM activity_quarantine")).Should().Be(3);
        var entries = await quarantine.ListAsync();
        entries.Select(e => (e.Event.Resource!.Value.Id, e.Sink)).Should().Equal(("item-1", "StoreSink"), ("item-2", "StoreSink"), ("item-1", "WebhookSink"));
        (await quarantine.ListAsync(limit: 1)).Should().ContainSingle().Which.Event.Id.Should().Be(older.Event.Id);
    }

    [Fact]
    public async Task When_the_quarantine_table_cannot_be_written_the_event_is_counted_as_dropped_not_lost_silently()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "quarantine_down");
        await StoreTestSupport.CreateTablesAsync<ActivityLogDbContext>(database);
        await DatabaseCatalog.ExecuteAsync(DatabaseProvider.Sqlite, database.ConnectionString, "DROP TABLE activity_quarantine");
        await using var host = await StoreTestHost.StartAsync((_, log) => log
            .ConfigureRedaction(r => r.Rewriters.Add((key, value) => key == "note" && value is "poison" ? "poi\0son" : value))
            .AddEntityFrameworkStore(database.Configure)
            .AddSink<NulRefusingSink>());

        host.Recorder.Record("activity_log.item.updated", metadata: new Dictionary<string, object?> { ["note"] = "fine" });
        host.Recorder.Record("activity_log.item.updated", metadata: new Dictionary<string, object?> { ["note"] = "poison" });
        await host.Dispatcher.FlushAsync();

        host.Dispatcher.QuarantinedCount.Should().Be(0);
        host.Dispatcher.DroppedCount.Should().Be(1, "the add failed, so the core counts the event as dropped (quarantine_failed)");
        await host.Services.GetRequiredService<IActivityQuarantine>().Invoking(q => q.ListAsync().AsTask())
            .Should().ThrowAsync<Microsoft.Data.Sqlite.SqliteException>("failures propagate; nothing pretends the table is empty");
    }

    [Fact]
    public void The_store_replaces_the_in_memory_default_but_keeps_a_quarantine_the_host_registered_and_the_first_stores()
    {
        var withStore = new ServiceCollection().AddLogging();
        withStore.AddActivityLog().AddEntityFrameworkStore(db => db.UseSqlite("Data Source=never-opened.db"));
        using (var provider = withStore.BuildServiceProvider())
        {
            provider.GetRequiredService<IActivityQuarantine>().Should().BeOfType<EntityFrameworkActivityQuarantine<ActivityLogDbContext>>();
        }

        var hostOwn = new ServiceCollection().AddLogging();
        hostOwn.AddSingleton<IActivityQuarantine, HostQuarantine>();
        hostOwn.AddActivityLog().AddEntityFrameworkStore(db => db.UseSqlite("Data Source=never-opened.db"));
        using (var provider = hostOwn.BuildServiceProvider())
        {
            provider.GetRequiredService<IActivityQuarantine>().Should().BeOfType<HostQuarantine>();
        }

        var twoStores = new ServiceCollection().AddLogging();
        twoStores.AddDbContext<StoreTestContext>(db => db.UseSqlite("Data Source=never-opened.db"));
        twoStores.AddActivityLog().AddEntityFrameworkStore<StoreTestContext>().AddEntityFrameworkStore(db => db.UseSqlite("Data Source=never-opened.db"));
        using (var provider = twoStores.BuildServiceProvider())
        {
            provider.GetRequiredService<IActivityQuarantine>().Should().BeOfType<EntityFrameworkActivityQuarantine<StoreTestContext>>();
            provider.GetServices<IActivityQuarantine>().Should().ContainSingle();
        }

        File.Exists("never-opened.db").Should().BeFalse();
    }

    private static ServiceProvider Services(TestDatabase database)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddActivityLog().AddEntityFrameworkStore(database.Configure, o => o.CreateSchemaOnStart = true);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    private static ActivityQuarantineEntry Entry(string resourceId, string sink, DateTimeOffset at) => new(
        new ActivityLogEvent
        {
            Id = Guid.CreateVersion7(at),
            Name = "activity_log.item.updated",
            Resource = new ActivityResource("item", resourceId, null),
            Timestamp = at,
            AccountId = "acct_1",
        },
        sink,
        "The sink refused it.",
        at);

    private static async Task<string> ScalarTextAsync(TestDatabase database, string sql)
    {
        await using var context = new ActivityLogDbContext(database.Options<ActivityLogDbContext>());
        var connection = context.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A sink that refuses any event holding a NUL character, as PostgreSQL does (SQLite stores them).</summary>
    private sealed class NulRefusingSink : IActivitySink
    {
        public const string Reason = "The test sink refuses NUL characters.";

        public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
        {
            foreach (var e in batch)
            {
                if (ActivityLog.ActivityJsonSerializer.Serialize(e, ActivityLog.ActivityJsonFields.All).Contains("\\u0000", StringComparison.Ordinal))
                {
                    throw new ActivityLogEventRejectedException(e.Id, Reason);
                }
            }

            return Task.CompletedTask;
        }
    }

    private sealed class HostQuarantine : IActivityQuarantine
    {
        public ValueTask AddAsync(ActivityQuarantineEntry entry, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask<IReadOnlyList<ActivityQuarantineEntry>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<ActivityQuarantineEntry>>([]);
    }
}

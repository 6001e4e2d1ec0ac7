using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
using ActivityLog.Extensibility;
using ActivityLog.Testing;
using ActivityLog.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests;

/// <summary>
/// Issue 11, item 1, on a real PostgreSQL server: a value that PostgreSQL refuses (a NUL character in text, <c>\u0000</c>
/// in <c>jsonb</c>) reaches the store only through host code that runs after <c>Record</c> validated the entry (here a
/// redaction rewriter). The store then reports a rejection (SQLSTATE class 22), the dispatcher splits the batch, every
/// valid event is stored at once and the refused ones are quarantined. On 298d2c2 the whole batch was retried for
/// minutes (default back-off) and then dropped with every valid neighbour.
/// </summary>
public sealed class PoisonBatchTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Rows_PostgreSQL_refuses_are_quarantined_and_every_valid_neighbour_is_stored_without_waiting_for_retries(bool binaryCopy)
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "poison");
        await database.CreateTablesAsync<PgStoreContext>();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<PgStoreContext>(o => database.Configure(o));
        // Default retries (10, from 1 s up to 1 min): a rejection must not wait for any of them.
        var activityLog = builder.Services.AddActivityLog(o => o.MaxBatchSize = 500)
            .ConfigureRedaction(r => r.Rewriters.Add((key, value) => key == "note" && value is "poison" ? "poi\0son" : value))
            .AddEntityFrameworkStore<PgStoreContext>()
            .AddCapture();
        if (binaryCopy)
        {
            activityLog.UsePostgreSqlBinaryCopy();
        }

        using var host = builder.Build();
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var poisoned = new HashSet<int>();
        for (int i = 0; i < 300; i++)
        {
            bool inChanges = i % 50 == 7;
            bool inMetadata = i % 50 == 31;
            if (inChanges || inMetadata)
            {
                poisoned.Add(i);
            }

            recorder.Record(
                "activity_log.item.updated",
                new ActivityResource("item", i),
                [ActivityChange.Of("note", "old", inChanges ? "poison" : "fine")],
                metadata: new Dictionary<string, object?> { ["note"] = inMetadata ? "poison" : "fine" });
        }

        await host.Services.GetRequiredService<IActivityDispatcher>().FlushAsync().WaitAsync(Limit);

        var rows = await database.ReadRowsAsync<PgStoreContext>();
        rows.Select(r => int.Parse(r.ResourceId!, System.Globalization.CultureInfo.InvariantCulture)).Should()
            .BeEquivalentTo(Enumerable.Range(0, 300).Where(i => !poisoned.Contains(i)));
        var quarantine = await host.Services.GetRequiredService<IActivityQuarantine>().ListAsync();
        quarantine.Select(e => int.Parse(e.Event.Resource!.Value.Id!, System.Globalization.CultureInfo.InvariantCulture)).Should().BeEquivalentTo(poisoned);
        quarantine.Should().OnlyContain(e => e.Reason.Contains("SQLSTATE 22", StringComparison.Ordinal) && e.Sink == "EntityFrameworkActivitySink");
        quarantine.Should().OnlyContain(e => !e.Reason.Contains("poi", StringComparison.Ordinal), "the reason never quotes a value");
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();
        dispatcher.QuarantinedCount.Should().Be(poisoned.Count);
        dispatcher.DroppedCount.Should().Be(0);
        host.Services.GetRequiredService<CapturingActivitySink>().Events.Should().HaveCount(300, "the other sink never saw the store's trouble");
        await host.StopAsync();
    }

    [Fact]
    public async Task A_dying_database_is_retried_not_quarantined()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "dying");
        // No tables: every write fails with 42P01 (undefined table), which is about the database, not the rows.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<PgStoreContext>(o => database.Configure(o));
        builder.Services.AddActivityLog(o =>
            {
                o.SinkRetry.MaxRetryAttempts = 2;
                o.SinkRetry.Delay = TimeSpan.FromMilliseconds(10);
            })
            .AddEntityFrameworkStore<PgStoreContext>()
            .UsePostgreSqlBinaryCopy();
        using var host = builder.Build();
        await host.StartAsync();
        for (int i = 0; i < 20; i++)
        {
            host.Services.GetRequiredService<IActivityRecorder>().Record("activity_log.item.updated", new ActivityResource("item", i));
        }

        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();
        await dispatcher.FlushAsync().WaitAsync(Limit);

        dispatcher.QuarantinedCount.Should().Be(0);
        dispatcher.DroppedCount.Should().Be(20, "after its retries the batch is counted as dropped for the store (sink_failed)");
        // The quarantine is a table of the same (here table-less) database: create the tables to look into it.
        await database.CreateTablesAsync<PgStoreContext>();
        (await host.Services.GetRequiredService<IActivityQuarantine>().ListAsync()).Should().BeEmpty();
        await host.StopAsync();
    }

    [Fact]
    public async Task Refused_events_are_in_the_quarantine_table_after_a_restart_with_their_ids_account_reason_and_NUL_values()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "poison_restart");
        await database.CreateTablesAsync<PgStoreContext>();
        var poisoned = new Dictionary<Guid, int>();
        using (var first = StartHost(database, capture: true))
        {
            await first.StartAsync();
            var recorder = first.Services.GetRequiredService<IActivityRecorder>();
            for (int i = 0; i < 40; i++)
            {
                recorder.Record(
                    "activity_log.item.updated",
                    new ActivityResource("item", i),
                    [ActivityChange.Of("note", "old", i % 10 == 3 ? "poison" : "fine")],
                    accountId: $"acct_{i}",
                    context: new ActivityRequestContext { IpAddress = "203.0.113.7", CorrelationId = $"req-{i}" },
                    metadata: new Dictionary<string, object?> { ["note"] = i % 10 == 8 ? "poison" : "fine", ["seq"] = i });
            }

            await first.Services.GetRequiredService<IActivityDispatcher>().FlushAsync().WaitAsync(Limit);
            first.Services.GetRequiredService<IActivityDispatcher>().QuarantinedCount.Should().Be(8);
            foreach (var e in first.Services.GetRequiredService<CapturingActivitySink>().Events)
            {
                int i = int.Parse(e.Resource!.Value.Id!, System.Globalization.CultureInfo.InvariantCulture);
                if (i % 10 is 3 or 8)
                {
                    poisoned.Add(e.Id, i);
                }
            }

            await first.StopAsync();
        }

        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_quarantine")).Should().Be(8);
        (await database.ScalarAsync<string>("SELECT data_type::text FROM information_schema.columns WHERE table_name = 'activity_quarantine' AND column_name = 'event_json'"))
            .Should().Be("text");

        // A new host on the same database, with nothing of the first one's memory.
        using var second = StartHost(database, capture: false);
        await second.StartAsync();
        var entries = await second.Services.GetRequiredService<IActivityQuarantine>().ListAsync();
        entries.Select(e => e.Event.Id).Should().BeEquivalentTo(poisoned.Keys);
        entries.Should().OnlyContain(e => e.Reason.Contains("SQLSTATE 22", StringComparison.Ordinal) && e.Sink == "EntityFrameworkActivitySink");
        foreach (var entry in entries)
        {
            int i = poisoned[entry.Event.Id];
            var e = entry.Event;
            e.Resource!.Value.Id.Should().Be(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            e.AccountId.Should().Be($"acct_{i}");
            e.Context!.CorrelationId.Should().Be($"req-{i}");
            e.Metadata!["seq"].Should().Be((long)i);
            (i % 10 == 3 ? e.Changes.Single().To : e.Metadata["note"]).Should().Be("poi\0son", "the value PostgreSQL refused is visible in the rebuilt event");
        }

        await second.StopAsync();
    }

    private static IHost StartHost(PostgresDatabase database, bool capture)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<PgStoreContext>(o => database.Configure(o));
        var activityLog = builder.Services.AddActivityLog()
            .ConfigureRedaction(r => r.Rewriters.Add((key, value) => key == "note" && value is "poison" ? "poi\0son" : value))
            .AddEntityFrameworkStore<PgStoreContext>()
            .UsePostgreSqlBinaryCopy();
        if (capture)
        {
            activityLog.AddCapture();
        }

        return builder.Build();
    }
}

using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
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
        (await host.Services.GetRequiredService<IActivityQuarantine>().ListAsync()).Should().BeEmpty();
        await host.StopAsync();
    }
}

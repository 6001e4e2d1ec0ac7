using System.Diagnostics.Metrics;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Extensibility;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using static ActivityLog.EntityFrameworkCore.Tests.Storage.StoreTestSupport;

namespace ActivityLog.EntityFrameworkCore.Tests.Storage;

/// <summary>The store on the queued path of a real host: recorded through the public API, stored by the dispatcher.</summary>
public sealed class StoreQueuedPathTests
{
    private static readonly TimeSpan FlushLimit = TimeSpan.FromMinutes(2);

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Four_concurrent_writers_of_ten_thousand_events_store_exactly_forty_thousand(DatabaseProvider provider)
    {
        const int Writers = 4;
        const int PerWriter = 10_000;
        await using var database = await TestDatabase.CreateAsync(provider, "store_concurrent");
        await CreateTablesAsync<StoreTestContext>(database);
        // The queue holds every event, so back-pressure never turns into drops: this test is about the store.
        using var host = await StartHostAsync<StoreTestContext>(database, o => o.QueueCapacity = Writers * PerWriter);
        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                recorder.Record("activity_log.webhook.updated",
                    resource: new ActivityResource("webhook", $"{w}-{i}", "Logging"),
                    actor: ActivityActor.User(w, $"Writer {w}"),
                    accountId: $"acct-{w}");
            }
        })));
        await dispatcher.FlushAsync().WaitAsync(FlushLimit);

        dispatcher.DroppedCount.Should().Be(0);
        var rows = await ReadRowsAsync<StoreTestContext>(database);
        rows.Should().HaveCount(Writers * PerWriter);
        rows.Select(r => r.Id).Should().OnlyHaveUniqueItems();
        // Sorted sequences, not BeEquivalentTo: FluentAssertions' equivalency is quadratic in the collection size.
        Sorted(rows.Select(r => r.ResourceId!)).Should().Equal(
            Sorted(Enumerable.Range(0, Writers).SelectMany(w => Enumerable.Range(0, PerWriter).Select(i => $"{w}-{i}"))));
        await host.StopAsync();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_write_blocked_by_another_connections_lock_is_retried_and_stores_every_event_once(DatabaseProvider provider)
    {
        const int Count = 1_200;
        await using var database = await TestDatabase.CreateAsync(provider, "store_locked");
        await CreateTablesAsync<StoreTestContext>(database);
        using var host = await StartHostAsync<StoreTestContext>(
            database,
            o =>
            {
                o.SinkRetry.MaxRetryAttempts = 100;
                o.SinkRetry.Delay = TimeSpan.FromMilliseconds(10);
                o.SinkRetry.MaxDelay = TimeSpan.FromMilliseconds(50);
            },
            // A write that waits for a lock gives up after a second (the database's own busy/statement timeout).
            contextOptions: o => SetCommandTimeout(o, provider, seconds: 1));
        using var failures = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), ActivityLogDiagnostics.MeterName, "activitylog.sink.failures");
        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();

        // A first batch goes in before the lock, then another connection holds the table while more are recorded.
        Record(recorder, 0, 200);
        await dispatcher.FlushAsync().WaitAsync(FlushLimit);
        await using (var blocker = await LockTableAsync(database))
        {
            Record(recorder, 200, Count);
            // The dispatcher has really failed (and backed off) at least twice against the held lock.
            await failures.WaitForMeasurementsAsync(minCount: 2, FlushLimit);
        }

        await dispatcher.FlushAsync().WaitAsync(FlushLimit);

        dispatcher.DroppedCount.Should().Be(0);
        var rows = await ReadRowsAsync<StoreTestContext>(database);
        rows.Should().HaveCount(Count);
        rows.Select(r => r.Id).Should().OnlyHaveUniqueItems();
        Sorted(rows.Select(r => r.ResourceId!)).Should().Equal(Sorted(Enumerable.Range(0, Count).Select(i => $"r{i}")));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(nameof(ActivityLogStoreOptions.MaxPageSize), 0)]
    [InlineData(nameof(ActivityLogStoreOptions.DefaultPageSize), 0)]
    [InlineData(nameof(ActivityLogStoreOptions.RetentionBatchSize), -1)]
    [InlineData("DefaultPageSizeAboveMax", 600)]
    public async Task Invalid_store_options_fail_the_host_start(string option, int value)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "store_options");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddDbContext<StoreTestContext>(database.Configure);
        builder.Services.AddActivityLog().AddEntityFrameworkStore<StoreTestContext>(o =>
        {
            switch (option)
            {
                case nameof(ActivityLogStoreOptions.MaxPageSize): o.MaxPageSize = value; break;
                case nameof(ActivityLogStoreOptions.DefaultPageSize): o.DefaultPageSize = value; break;
                case nameof(ActivityLogStoreOptions.RetentionBatchSize): o.RetentionBatchSize = value; break;
                case "DefaultPageSizeAboveMax": o.DefaultPageSize = value; break;
            }
        });
        using var host = builder.Build();

        var start = () => host.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.OptionsType.Should().Be<ActivityLogStoreOptions>();
        failure.Message.Should().Contain(option.StartsWith("DefaultPageSize", StringComparison.Ordinal) ? "DefaultPageSize" : option);
    }

    [Fact]
    public async Task Default_store_options_are_valid()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "store_options_ok");
        await CreateTablesAsync<StoreTestContext>(database);
        using var host = await StartHostAsync<StoreTestContext>(database, _ => { });

        host.Services.GetRequiredService<IOptions<ActivityLogStoreOptions>>().Value.MaxPageSize.Should().Be(500);
        host.Services.GetServices<IActivitySink>().Should().ContainSingle();
        await host.StopAsync();
    }

    private static List<string> Sorted(IEnumerable<string> values) => [.. values.Order(StringComparer.Ordinal)];

    private static void Record(IActivityRecorder recorder, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            recorder.Record("activity_log.webhook.updated", resource: new ActivityResource("webhook", $"r{i}", "Logging"), accountId: "acct-1");
        }
    }

    private static void SetCommandTimeout(DbContextOptionsBuilder options, DatabaseProvider provider, int seconds)
    {
        // Applying the provider again keeps the connection string it was given first and adds the timeout.
        if (provider == DatabaseProvider.Sqlite)
        {
            options.UseSqlite(o => o.CommandTimeout(seconds));
        }
        else
        {
            options.UseNpgsql(o => o.CommandTimeout(seconds));
        }
    }

    /// <summary>Another connection takes the activity log table for itself until disposed: a real, transient lock.</summary>
    private static async Task<IAsyncDisposable> LockTableAsync(TestDatabase database)
    {
        if (database.Provider == DatabaseProvider.Sqlite)
        {
            var connection = new SqliteConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using (var begin = connection.CreateCommand())
            {
                // EXCLUSIVE: no other connection reads or writes the file until this transaction ends.
                begin.CommandText = "BEGIN EXCLUSIVE";
                await begin.ExecuteNonQueryAsync();
            }

            return new Lock(connection, "ROLLBACK");
        }

        var npgsql = new NpgsqlConnection(database.ConnectionString);
        await npgsql.OpenAsync();
        await using (var command = npgsql.CreateCommand())
        {
            command.CommandText = "BEGIN; LOCK TABLE activity_events IN ACCESS EXCLUSIVE MODE";
            await command.ExecuteNonQueryAsync();
        }

        return new Lock(npgsql, "ROLLBACK");
    }

    private sealed class Lock(System.Data.Common.DbConnection connection, string release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = release;
                await command.ExecuteNonQueryAsync();
            }

            await connection.DisposeAsync();
        }
    }
}

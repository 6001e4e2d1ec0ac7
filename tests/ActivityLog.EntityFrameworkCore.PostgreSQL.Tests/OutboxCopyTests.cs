using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
using ActivityLog.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support.StoreServices;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests;

/// <summary>The COPY path writes outbox deliveries in the same transaction as the rows it copies, idempotently.</summary>
public sealed class OutboxCopyTests
{
    private const string Destination = "webhooks:even";

    [Fact]
    public async Task Copy_writes_entries_with_the_rows_split_over_parallel_parts_and_a_retry_adds_none()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_outbox");
        await database.CreateTablesAsync<PgStoreContext>();
        var log = new CommandLog();
        await using var services = Build(database, log);
        var signal = services.GetRequiredService<ActivityOutboxSignal>();
        long before = signal.Version;
        var batch = await ProcessedEventsAsync(services, 500);

        await Sink(services).WriteBatchAsync(batch, CancellationToken.None);

        // Two parts, each on its own connection: each checked which of its ids are stored before copying.
        log.Commands.Count(c => c.Contains("FROM activity_events", StringComparison.Ordinal) || c.Contains("FROM \"activity_events\"", StringComparison.Ordinal))
            .Should().Be(2);
        (await database.ReadRowsAsync<PgStoreContext>()).Should().HaveCount(500);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox")).Should().Be(250);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox o JOIN activity_events e ON e.id = o.event_id")).Should().Be(250);
        // The rows went in by COPY: EF Core sent the stored-ids check and the entries, never an INSERT of events.
        log.Commands.Should().NotContain(c => c.Contains("INSERT INTO activity_events", StringComparison.Ordinal) || c.Contains("INSERT INTO \"activity_events\"", StringComparison.Ordinal));
        log.Commands.Should().Contain(c => c.Contains("activity_outbox", StringComparison.Ordinal));
        signal.Version.Should().Be(before + 1);

        // The dispatcher retries the whole batch (say the reply to the commit was lost), plus events it has not stored.
        var more = await ProcessedEventsAsync(services, 100);
        await Sink(services).WriteBatchAsync([.. batch, .. more], CancellationToken.None);

        (await database.ReadRowsAsync<PgStoreContext>()).Should().HaveCount(600);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox")).Should().Be(300);
        (await database.ScalarAsync<long>("SELECT count(DISTINCT event_id) FROM activity_outbox")).Should().Be(300);

        var outbox = services.GetRequiredService<IActivityOutbox>();
        (await outbox.CountPendingAsync(Destination)).Should().Be(300);
        var claimed = await outbox.ClaimAsync(Destination, new ActivityOutboxClaim { MaxEvents = 1_000, Lease = TimeSpan.FromMinutes(1) });
        claimed!.Events.Select(e => e.Id).Should().BeEquivalentTo(batch.Concat(more).Where(Accepts).Select(e => e.Id));
    }

    [Fact]
    public async Task A_failed_copy_transaction_leaves_neither_rows_nor_entries()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_outbox_fail");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var services = Build(database, log: null);
        var batch = await ProcessedEventsAsync(services, 10);
        // The entries table refuses inserts: the transaction with the COPY must roll back as a whole.
        await ExecuteAsync(database, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$; " +
            "CREATE TRIGGER refuse BEFORE INSERT ON activity_outbox FOR EACH ROW EXECUTE FUNCTION refuse()");

        await Sink(services).Invoking(s => s.WriteBatchAsync(batch, CancellationToken.None)).Should().ThrowAsync<Exception>();

        (await database.ReadRowsAsync<PgStoreContext>()).Should().BeEmpty();
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox")).Should().Be(0);
        await ExecuteAsync(database, "DROP TRIGGER refuse ON activity_outbox");
        await Sink(services).WriteBatchAsync(batch, CancellationToken.None);
        (await database.ReadRowsAsync<PgStoreContext>()).Should().HaveCount(10);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox")).Should().Be(5);
    }

    private static async Task ExecuteAsync(PostgresDatabase database, string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static bool Accepts(ActivityLogEvent e) => int.Parse(e.Resource!.Value.Id!.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) % 2 == 0;

    private static ServiceProvider Build(PostgresDatabase database, CommandLog? log)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<PgStoreContext>(o => database.Configure(o, log));
        services.AddActivityLog().AddEntityFrameworkStore<PgStoreContext>(o => o.ParallelBulkWrites = 2).UsePostgreSqlBinaryCopy();
        services.AddSingleton<IActivityOutboxSubscriber>(new EvenSubscriber());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    private sealed class EvenSubscriber : IActivityOutboxSubscriber
    {
        public string Destination => OutboxCopyTests.Destination;

        public bool Accepts(ActivityLogEvent activity) => OutboxCopyTests.Accepts(activity);
    }
}

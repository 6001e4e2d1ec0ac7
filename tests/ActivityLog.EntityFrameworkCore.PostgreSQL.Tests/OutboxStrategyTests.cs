using System.Collections.Concurrent;
using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
using ActivityLog.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests;

/// <summary>
/// The outbox with <c>UsePostgreSqlOutbox()</c> on real PostgreSQL keeps the guarantees of <see cref="IActivityOutbox"/>:
/// oldest first within the limits, batch ids and events stable across retries and lapsed leases, entries of deleted
/// events dropped, and claimers in two instances never sharing a batch or an event.
/// </summary>
public sealed class OutboxStrategyTests
{
    private const string Destination = "webhooks:drain";

    [Fact]
    public async Task Claims_take_the_oldest_entries_within_the_limits_and_complete_removes_them()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "outbox_fast_limits");
        await database.CreateTablesAsync<PgStoreContext>();
        var time = new FakeTimeProvider(StoreServices.Now);
        await using var services = Build(database, time);
        var outbox = services.GetRequiredService<IActivityOutbox>();
        await WriteAsync(services, 1_000);
        var oldestFirst = await EntryOrderAsync(database);
        oldestFirst.Should().HaveCount(1_000);

        // Each event measures 10 bytes: at most 25 per batch under 250 bytes, and never more than MaxEvents.
        var claim = new ActivityOutboxClaim { MaxEvents = 40, MaxBytes = 250, MeasureBytes = _ => 10, Lease = TimeSpan.FromMinutes(2) };
        var delivered = new List<Guid>();
        var batchIds = new HashSet<Guid>();
        int claims = 0;
        while (await outbox.ClaimAsync(Destination, claim) is { } batch)
        {
            claims++;
            batch.Events.Should().HaveCount(25);
            batch.Attempt.Should().Be(0);
            batchIds.Add(batch.Id).Should().BeTrue("every claim forms a batch of its own");
            delivered.AddRange(batch.Events.Select(e => e.Id));
            await outbox.CompleteAsync(batch);
        }

        delivered.Should().Equal(oldestFirst, "batches are formed from the oldest entries and each event goes into one");
        claims.Should().Be(40);
        (await outbox.CountPendingAsync(Destination)).Should().Be(0);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox")).Should().Be(0);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox_batches")).Should().Be(0);
    }

    [Fact]
    public async Task Retried_and_lapsed_batches_come_back_with_their_ids_and_events()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "outbox_fast_retry");
        await database.CreateTablesAsync<PgStoreContext>();
        var time = new FakeTimeProvider(StoreServices.Now);
        await using var services = Build(database, time);
        await using var sibling = Build(database, time);
        var outbox = services.GetRequiredService<IActivityOutbox>();
        var written = await WriteAsync(services, 30);
        var claim = new ActivityOutboxClaim { MaxEvents = 10, Lease = TimeSpan.FromMinutes(2) };

        var first = (await outbox.ClaimAsync(Destination, claim))!;
        first.Events.Select(e => e.Id).Should().Equal(written.Take(10).Select(e => e.Id));
        await outbox.RetryLaterAsync(first, time.GetUtcNow().AddSeconds(5), "HTTP 503");

        // The first claim came back full: the next forms two batches, hands out the first and keeps the second.
        var second = (await outbox.ClaimAsync(Destination, claim))!;
        second.Events.Select(e => e.Id).Should().Equal(written.Skip(10).Take(10).Select(e => e.Id));
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox_batches")).Should().Be(3);

        time.Advance(TimeSpan.FromSeconds(5));
        var third = (await outbox.ClaimAsync(Destination, claim))!;
        third.Events.Select(e => e.Id).Should().Equal(written.Skip(20).Select(e => e.Id), "the batch formed ahead is handed out while its lease is young");
        var retried = (await outbox.ClaimAsync(Destination, claim))!;
        retried.Id.Should().Be(first.Id);
        retried.Attempt.Should().Be(1);
        retried.Events.Select(e => e.Id).Should().Equal(first.Events.Select(e => e.Id));
        (await outbox.ClaimAsync(Destination, claim)).Should().BeNull("every batch is leased");

        // The worker holding the other two died: once their leases run out, another instance gets them, same ids.
        time.Advance(TimeSpan.FromMinutes(2));
        var other = sibling.GetRequiredService<IActivityOutbox>();
        var lapsed = new[] { (await other.ClaimAsync(Destination, claim))!, (await other.ClaimAsync(Destination, claim))!, (await other.ClaimAsync(Destination, claim))! };
        lapsed.Select(b => b.Id).Should().BeEquivalentTo([first.Id, second.Id, third.Id]);
        lapsed.Single(b => b.Id == second.Id).Events.Select(e => e.Id).Should().Equal(second.Events.Select(e => e.Id));

        // The old claim of the second batch is fenced off; completing the new one removes it.
        await outbox.RetryLaterAsync(second, time.GetUtcNow(), "late");
        foreach (var batch in lapsed)
        {
            await other.CompleteAsync(batch);
        }

        (await other.CountPendingAsync(Destination)).Should().Be(0);
    }

    [Fact]
    public async Task Entries_whose_events_were_deleted_are_dropped_not_sent()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "outbox_fast_gone");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var services = Build(database, new FakeTimeProvider(StoreServices.Now));
        var outbox = services.GetRequiredService<IActivityOutbox>();
        var written = await WriteAsync(services, 20);
        var gone = written.Where((_, i) => i % 3 == 0 || i < 5).Select(e => e.Id).ToHashSet();
        await database.ScalarAsync<int>($"WITH d AS (DELETE FROM activity_events WHERE id IN ({string.Join(", ", gone.Select(id => $"'{id}'"))}) RETURNING 1) SELECT count(*)::int FROM d");

        var claim = new ActivityOutboxClaim { MaxEvents = 4, Lease = TimeSpan.FromMinutes(2) };
        var sent = new List<Guid>();
        while (await outbox.ClaimAsync(Destination, claim) is { } batch)
        {
            batch.Events.Should().NotBeEmpty();
            sent.AddRange(batch.Events.Select(e => e.Id));
            await outbox.CompleteAsync(batch);
        }

        sent.Should().Equal(written.Select(e => e.Id).Where(id => !gone.Contains(id)));
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox")).Should().Be(0);
    }

    [Fact]
    public async Task Claimers_in_two_instances_never_share_a_batch_or_an_event()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "outbox_fast_shared");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var first = Build(database, TimeProvider.System);
        await using var second = Build(database, TimeProvider.System);
        var written = await WriteAsync(first, 3_000);
        var claim = new ActivityOutboxClaim { MaxEvents = 50, Lease = TimeSpan.FromMinutes(2) };
        var batches = new ConcurrentDictionary<Guid, int>();
        var events = new ConcurrentBag<Guid>();

        // Three claim loops per instance, as three destinations' workers would race on one.
        await Task.WhenAll(new[] { first, second }.SelectMany(services => Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var outbox = services.GetRequiredService<IActivityOutbox>();
            while (await outbox.ClaimAsync(Destination, claim) is { } batch)
            {
                batches.AddOrUpdate(batch.Id, 1, (_, n) => n + 1);
                foreach (var activityEvent in batch.Events)
                {
                    events.Add(activityEvent.Id);
                }

                await outbox.CompleteAsync(batch);
            }
        }))));

        batches.Values.Should().OnlyContain(n => n == 1, "no batch is claimed twice while its lease runs");
        events.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(written.Select(e => e.Id));
        (await first.GetRequiredService<IActivityOutbox>().CountPendingAsync(Destination)).Should().Be(0);
    }

    /// <summary>The event ids of the outbox deliveries in the order they were written (the entries' ids).</summary>
    private static async Task<List<Guid>> EntryOrderAsync(PostgresDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT event_id FROM activity_outbox ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static ServiceProvider Build(PostgresDatabase database, TimeProvider time)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(time);
        services.AddSingleton<IActivityOutboxSubscriber>(new EverythingSubscriber(Destination));
        services.AddDbContext<PgStoreContext>(o => database.Configure(o));
        services.AddActivityLog().AddEntityFrameworkStore<PgStoreContext>().UsePostgreSqlBinaryCopy().UsePostgreSqlOutbox();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    /// <summary>Writes processed events through the store's queued path (COPY, entries in the same transaction), in batches of 500.</summary>
    internal static async Task<List<ActivityLogEvent>> WriteAsync(IServiceProvider services, int count)
    {
        var events = await StoreServices.ProcessedEventsAsync(services, count);
        var sink = services.GetServices<IActivitySink>().Single(s => s.GetType().ToString().Contains("EntityFrameworkActivitySink", StringComparison.Ordinal));
        foreach (var chunk in events.Chunk(500))
        {
            await sink.WriteBatchAsync([.. chunk], CancellationToken.None);
        }

        return events;
    }
}

/// <summary>A destination that wants every event.</summary>
internal sealed class EverythingSubscriber(string destination) : IActivityOutboxSubscriber
{
    public string Destination { get; } = destination;

    public bool Accepts(ActivityLogEvent activity) => true;
}

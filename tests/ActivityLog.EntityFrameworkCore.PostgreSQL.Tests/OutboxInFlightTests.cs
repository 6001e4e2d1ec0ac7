using System.Collections.Concurrent;
using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
using ActivityLog.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests;

/// <summary>
/// One batch in flight per destination across processes on real PostgreSQL: concurrent claimers of several instances
/// (with and without <c>UsePostgreSqlOutbox()</c>) never hold two live batches of one destination, each destination's
/// events arrive once and in order, and <c>ListDueAsync</c> counts batches an instance formed ahead as its due work.
/// </summary>
public sealed class OutboxInFlightTests
{
    private static readonly string[] Destinations = ["sub:acme-1", "sub:acme-2", "sub:globex-1", "sub:initech-1"];

    [Fact]
    public async Task Concurrent_claimers_in_three_instances_never_hold_two_live_batches_of_one_destination()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "outbox_in_flight");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var fast1 = Build(database, TimeProvider.System, fast: true);
        await using var fast2 = Build(database, TimeProvider.System, fast: true);
        await using var portable = Build(database, TimeProvider.System, fast: false);
        var written = await OutboxStrategyTests.WriteAsync(fast1, 600);
        // Each destination's order is that of its outbox deliveries (the order batches are formed in).
        var order = new Dictionary<string, List<Guid>>();
        foreach (string destination in Destinations)
        {
            order[destination] = await EntryOrderAsync(database, destination);
            order[destination].Should().BeEquivalentTo(written.Select(e => e.Id));
        }

        var claim = new ActivityOutboxClaim { MaxEvents = 20, Lease = TimeSpan.FromMinutes(2) };
        var holders = Destinations.ToDictionary(d => d, _ => new StrongBox());
        var delivered = Destinations.ToDictionary(d => d, _ => new ConcurrentQueue<Guid>());
        int violations = 0;
        int claims = 0;

        // Every instance runs one claim loop per destination, as one delivery engine does: three claimers per destination.
        await Task.WhenAll(new[] { fast1, fast2, portable }.SelectMany(services => Destinations.Select(destination => Task.Run(async () =>
        {
            var outbox = services.GetRequiredService<IActivityOutbox>();
            while (true)
            {
                var batch = await outbox.ClaimAsync(destination, claim);
                if (batch is null)
                {
                    if (await outbox.CountPendingAsync(destination) == 0)
                    {
                        return;
                    }

                    await Task.Delay(1);
                    continue;
                }

                Interlocked.Increment(ref claims);
                if (Interlocked.Increment(ref holders[destination].Count) != 1)
                {
                    Interlocked.Increment(ref violations);
                }

                foreach (var activityEvent in batch.Events)
                {
                    delivered[destination].Enqueue(activityEvent.Id);
                }

                await Task.Delay(2); // "sending": other claimers race for the destination meanwhile
                Interlocked.Decrement(ref holders[destination].Count); // before the completion commits: a claim after it is legitimate
                await outbox.CompleteAsync(batch);
            }
        }))));

        violations.Should().Be(0, "no claim hands out or forms a batch while another instance's batch of that destination is leased");
        claims.Should().BeGreaterThanOrEqualTo(Destinations.Length * 30);
        foreach (string destination in Destinations)
        {
            delivered[destination].Should().Equal(order[destination], $"{destination} gets every event once, in order");
        }

        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox_batches")).Should().Be(0);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox")).Should().Be(0);
    }

    [Fact]
    public async Task Batches_formed_ahead_are_due_work_for_their_instance_and_in_flight_for_the_others()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "outbox_due_ahead");
        await database.CreateTablesAsync<PgStoreContext>();
        var time = new FakeTimeProvider(StoreServices.Now);
        await using var first = Build(database, time, fast: true);
        await using var second = Build(database, time, fast: true);
        await OutboxStrategyTests.WriteAsync(first, 30);
        var outbox = first.GetRequiredService<IActivityOutbox>();
        var other = second.GetRequiredService<IActivityOutbox>();
        var claim = new ActivityOutboxClaim { MaxEvents = 10, Lease = TimeSpan.FromMinutes(2) };
        (await other.ListDueAsync(10)).Destinations.Should().BeEquivalentTo(Destinations);

        // Full claims: the second one forms two batches and keeps one ahead for the next claim.
        foreach (string destination in Destinations)
        {
            await outbox.CompleteAsync((await outbox.ClaimAsync(destination, claim))!);
        }

        var held = (await outbox.ClaimAsync(Destinations[0], claim))!;
        (await database.ScalarAsync<long>($"SELECT count(*) FROM activity_outbox_batches WHERE destination = '{Destinations[0]}'")).Should().Be(2);
        await outbox.CompleteAsync(held);

        // The batch waiting ahead: due for the instance holding it, in flight for the other.
        (await outbox.ListDueAsync(10)).Destinations.Should().Contain(Destinations[0]);
        var otherDue = await other.ListDueAsync(10);
        otherDue.Destinations.Should().NotContain(Destinations[0]);
        otherDue.NextDueAt.Should().Be(time.GetUtcNow() + claim.Lease);
        (await other.ClaimAsync(Destinations[0], claim)).Should().BeNull("the first instance holds the batch formed ahead");
        var ahead = (await outbox.ClaimAsync(Destinations[0], claim))!;
        ahead.Events.Should().HaveCount(10);
        await outbox.CompleteAsync(ahead);
        (await other.ListDueAsync(10)).Destinations.Should().NotContain(Destinations[0], "all of its events are delivered");
        (await other.CountPendingAsync(Destinations[0])).Should().Be(0);
    }

    private static async Task<List<Guid>> EntryOrderAsync(PostgresDatabase database, string destination)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT event_id FROM activity_outbox WHERE destination = @d ORDER BY id", connection);
        command.Parameters.AddWithValue("d", destination);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static ServiceProvider Build(PostgresDatabase database, TimeProvider time, bool fast)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(time);
        foreach (string destination in Destinations)
        {
            services.AddSingleton<IActivityOutboxSubscriber>(new EverythingSubscriber(destination));
        }

        services.AddDbContext<PgStoreContext>(o => database.Configure(o));
        var activityLog = services.AddActivityLog().AddEntityFrameworkStore<PgStoreContext>().UsePostgreSqlBinaryCopy();
        if (fast)
        {
            activityLog.UsePostgreSqlOutbox();
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    private sealed class StrongBox
    {
        public int Count;
    }
}

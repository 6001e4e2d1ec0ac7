using System.Collections.Concurrent;
using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using static ActivityLog.EntityFrameworkCore.Tests.Outbox.OutboxTestHost;

namespace ActivityLog.EntityFrameworkCore.Tests.Outbox;

/// <summary>
/// Several app instances on one PostgreSQL outbox (<c>FOR UPDATE SKIP LOCKED</c>): concurrent claimers never receive
/// the same batch or the same event while it is leased, and between them they take everything. SQLite, a single
/// writer, runs the same race through its write transactions.
/// </summary>
public sealed class OutboxConcurrencyTests
{
    private const string Destination = "webhooks:shared";
    private const int Events = 600;
    private const int ClaimersPerInstance = 3;

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Concurrent_claimers_in_two_instances_never_share_a_batch_or_an_event(DatabaseProvider provider)
    {
        await using var first = await CreateAsync(provider, new TestSubscriber(Destination));
        await using var second = first.Sibling(new TestSubscriber(Destination));
        var written = new List<Guid>();
        for (int i = 0; i < Events / 100; i++)
        {
            // Both instances write: the outbox is shared, not per process.
            var instance = i % 2 == 0 ? first : second;
            written.AddRange((await instance.WriteAsync(100, $"w{i}-")).Select(e => e.Id));
        }

        var lease = TimeSpan.FromMinutes(10);

        // Round 1: new batches. Every lease outlives the round, so any batch or event handed out twice is a double send.
        var round1 = await ClaimAllAsync(first.Outbox, second.Outbox, Claim(maxEvents: 7, lease));
        AssertDisjoint(round1, written);

        // Round 2: every lease has run out, so every batch is due again and must be taken again exactly once, same events.
        first.Time.Advance(lease + TimeSpan.FromSeconds(1));
        var round2 = await ClaimAllAsync(first.Outbox, second.Outbox, Claim(maxEvents: 7, lease));
        AssertDisjoint(round2, written);
        round2.ToDictionary(b => b.Id, b => b.Events.Select(e => e.Id).ToList())
            .Should().BeEquivalentTo(round1.ToDictionary(b => b.Id, b => b.Events.Select(e => e.Id).ToList()), "a batch keeps its id and events");
        round2.Should().OnlyContain(b => b.Attempt == 0);

        // Completing from both instances at once empties the outbox.
        await Task.WhenAll(round2.Select((b, i) => (i % 2 == 0 ? first : second).Outbox.CompleteAsync(b)));
        (await first.Outbox.CountPendingAsync(Destination)).Should().Be(0);
        (await second.Outbox.ClaimAsync(Destination, Claim())).Should().BeNull();
    }

    /// <summary>Claims with several workers per instance, all started together, until each finds nothing due.</summary>
    private static async Task<List<ActivityOutboxBatch>> ClaimAllAsync(IActivityOutbox a, IActivityOutbox b, ActivityOutboxClaim claim)
    {
        var claimed = new ConcurrentBag<ActivityOutboxBatch>();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, 2 * ClaimersPerInstance).Select(w => Task.Run(async () =>
        {
            var outbox = w % 2 == 0 ? a : b;
            await start.Task;
            while (await outbox.ClaimAsync(Destination, claim) is { } batch)
            {
                claimed.Add(batch);
            }
        })).ToList();
        start.SetResult();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2));

        // Every claimer stopped because nothing was left: a last claim finds nothing either.
        (await a.ClaimAsync(Destination, claim)).Should().BeNull();
        return [.. claimed];
    }

    private static void AssertDisjoint(List<ActivityOutboxBatch> batches, List<Guid> written)
    {
        batches.Select(b => b.Id).Should().OnlyHaveUniqueItems("no batch is handed to two claimers while leased");
        var events = batches.SelectMany(b => b.Events.Select(e => e.Id)).ToList();
        events.Should().OnlyHaveUniqueItems("no event is in two batches");
        events.Order().Should().Equal(written.Order(), "between them the claimers took every event");
        batches.Should().OnlyContain(b => b.Events.Count >= 1 && b.Events.Count <= 7);
    }
}

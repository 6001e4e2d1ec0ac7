using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Tests.Outbox;

/// <summary>A router as a delivery package has one: destinations computed per event, here by account.</summary>
internal sealed class AccountRouter(Func<ActivityLogEvent, IEnumerable<string>> route) : IActivityOutboxRouter
{
    public int Calls;

    public void Route(ActivityLogEvent activity, ICollection<string> destinations)
    {
        Interlocked.Increment(ref Calls);
        foreach (string name in route(activity))
        {
            destinations.Add(name);
        }
    }
}

/// <summary>
/// Every registered <see cref="IActivityOutboxRouter"/> is asked about every event the store writes, beside the static
/// subscribers: one delivery per distinct destination, in the same transaction as the event, on every write path.
/// </summary>
public sealed class OutboxRouterTests
{
    private static AccountRouter Tenants() => new(e => e.AccountId switch
    {
        "acme" => ["sub:acme-1", "sub:acme-2", "sub:acme-1"], // a name routed twice is written once
        "globex" => ["sub:globex-1"],
        _ => [],
    });

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_queued_path_writes_one_delivery_per_distinct_routed_destination(DatabaseProvider provider)
    {
        var tenants = Tenants();
        // A second router names a static subscriber's destination too: still one delivery for it.
        var operators = new AccountRouter(_ => ["webhooks:siem"]);
        await using var host = await OutboxTestHost.CreateAsync(provider, [tenants, operators], new TestSubscriber("webhooks:siem"));

        var acme = await host.WriteAsync(2, prefix: "a", accountId: "acme");
        var globex = await host.WriteAsync(1, prefix: "g", accountId: "globex");
        var other = await host.WriteAsync(1, prefix: "o", accountId: "initech");

        var deliveries = await host.DeliveriesAsync();
        deliveries.Select(d => (d.EventId, d.Destination)).Should().BeEquivalentTo(
        [
            (acme[0].Id, "webhooks:siem"), (acme[0].Id, "sub:acme-1"), (acme[0].Id, "sub:acme-2"),
            (acme[1].Id, "webhooks:siem"), (acme[1].Id, "sub:acme-1"), (acme[1].Id, "sub:acme-2"),
            (globex[0].Id, "webhooks:siem"), (globex[0].Id, "sub:globex-1"),
            (other[0].Id, "webhooks:siem"),
        ]);
        tenants.Calls.Should().Be(4, "each event is routed once");
        (await host.Outbox.CountPendingAsync("sub:acme-1")).Should().Be(2);
        (await host.Outbox.CountPendingAsync("sub:globex-1")).Should().Be(1);

        // A claim for one account's destination hands out that account's events only.
        var batch = await host.Outbox.ClaimAsync("sub:globex-1", OutboxTestHost.Claim());
        batch!.Events.Should().ContainSingle().Which.AccountId.Should().Be("globex");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_router_alone_maps_the_outbox_and_a_bad_destination_name_fails_naming_the_router(DatabaseProvider provider)
    {
        var bad = new AccountRouter(e => e.AccountId == "acme" ? [new string('x', 201)] : [""]);
        await using var host = await OutboxTestHost.CreateAsync(provider, [bad]);
        await using (var context = StoreTestSupport.NewContext<StoreTestContext>(host.Database, host.Services))
        {
            OutboxWriter.IsMapped(context.Model).Should().BeTrue("a router is a delivery destination source");
        }

        var tooLong = () => host.WriteAsync(1, accountId: "acme");
        (await tooLong.Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Contain(typeof(AccountRouter).FullName).And.Contain("201 characters");
        var empty = () => host.WriteAsync(1, accountId: "globex");
        (await empty.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("0 characters");
        (await host.DeliveriesAsync()).Should().BeEmpty();
        (await StoreTestSupport.ReadRowsAsync<StoreTestContext>(host.Database)).Should().BeEmpty("the batch failed as a whole: no event without its deliveries");
    }

    [Fact]
    public void Without_subscribers_or_routers_planning_costs_nothing()
    {
        var writer = new OutboxWriter([], [], new ActivityOutboxSignal(), TimeProvider.System);
        writer.HasSubscribers.Should().BeFalse();
        var events = new List<ActivityLogEvent> { new() { Name = "activity_log.user.updated" } };
        writer.Plan(events).Should().BeNull();
        writer.DeliveriesFor(events[0]).Should().BeNull();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
        {
            writer.Plan(events);
        }

        GC.GetAllocatedBytesForCurrentThread().Should().Be(before, "the no-destination path allocates nothing");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Transactional_recording_writes_routed_deliveries_on_commit_and_none_on_rollback(DatabaseProvider provider)
    {
        var tenants = new AccountRouter(e => e.Name.StartsWith("activity_log.note.", StringComparison.Ordinal) ? ["sub:notes"] : []);
        await using var host = await CaptureTestHost.StartAsync(provider, services: s => s.AddSingleton<IActivityOutboxRouter>(tenants));

        await using (var scope = host.OpenContext())
        {
            var db = scope.Db;
            await using var transaction = await db.Database.BeginTransactionAsync();
            using var activities = db.RecordActivities();
            db.Notes.Add(new Note { Text = "Draft" });
            host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "1", "Draft"));
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        (await host.QueryAsync(db => db.Set<OutboxDeliveryRow>().CountAsync())).Should().Be(0);

        await using (var scope = host.OpenContext())
        {
            var db = scope.Db;
            await using var transaction = await db.Database.BeginTransactionAsync();
            using (var activities = db.RecordActivities())
            {
                db.Notes.Add(new Note { Text = "Quarterly review" });
                host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "2", "Quarterly review"));
                host.Recorder.Record("activity_log.user.logged_in");
                await db.SaveChangesAsync();
            }

            (await host.QueryAsync(db => db.Set<OutboxDeliveryRow>().CountAsync())).Should().Be(0, "not visible before the app's commit");
            await transaction.CommitAsync();
        }

        var events = await host.EventsAsync();
        var deliveries = await host.QueryAsync(db => db.Set<OutboxDeliveryRow>().AsNoTracking().ToListAsync());
        deliveries.Select(d => (d.Destination, d.EventId)).Should().Equal(("sub:notes", events.Single(e => e.Name == "activity_log.note.added").Id));
    }
}

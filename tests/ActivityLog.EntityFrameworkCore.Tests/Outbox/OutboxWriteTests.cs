using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Schema;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Tests.Outbox;

/// <summary>
/// Every write path of the store writes an outbox delivery per accepting destination, in the same transaction as the
/// event: the queued path's sink, transactional recording and change capture (including the deferred INSERTs of
/// entities with generated keys). Retries never duplicate them; without subscribers nothing is written.
/// </summary>
public sealed class OutboxWriteTests
{
    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_queued_path_writes_one_delivery_per_accepting_destination_and_wakes_the_workers(DatabaseProvider provider)
    {
        await using var host = await OutboxTestHost.CreateAsync(
            provider,
            new TestSubscriber("webhooks:all"),
            new TestSubscriber("webhooks:deleted", e => e.Name == "activity_log.webhook.deleted"),
            new TestSubscriber("webhooks:none", _ => false));
        long before = host.Signal.Version;

        var updated = await host.WriteAsync(5, "u");
        var deleted = await host.WriteAsync(2, "d", "activity_log.webhook.deleted");

        var deliveries = await host.DeliveriesAsync();
        deliveries.Where(e => e.Destination == "webhooks:all").Select(e => e.EventId).Should().Equal(updated.Concat(deleted).Select(e => e.Id), "oldest first, in write order");
        deliveries.Where(e => e.Destination == "webhooks:deleted").Select(e => e.EventId).Should().Equal(deleted.Select(e => e.Id));
        deliveries.Should().NotContain(e => e.Destination == "webhooks:none");
        deliveries.Should().OnlyContain(e => e.BatchId == null && e.CreatedAt == OutboxTestHost.Start.UtcDateTime);
        (await StoreTestSupport.ReadRowsAsync<StoreTestContext>(host.Database)).Should().HaveCount(7);
        host.Signal.Version.Should().Be(before + 2, "each committed batch with deliveries notifies once");
        (await host.Outbox.CountPendingAsync("webhooks:all")).Should().Be(7);
        (await host.Outbox.CountPendingAsync("webhooks:deleted")).Should().Be(2);
        (await host.Outbox.CountPendingAsync("webhooks:none")).Should().Be(0);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_retried_batch_neither_duplicates_deliveries_nor_brings_back_delivered_ones(DatabaseProvider provider)
    {
        await using var host = await OutboxTestHost.CreateAsync(provider, new TestSubscriber("webhooks:a"));
        var sink = StoreTestSupport.Sink<StoreTestContext>(host.Services);
        var events = await host.WriteAsync(4);

        // The dispatcher retries a batch whose commit succeeded but whose reply was lost: same events again.
        await sink.WriteBatchAsync(events, CancellationToken.None);
        (await host.DeliveriesAsync()).Should().HaveCount(4);

        // Deliver them all, then the retry comes again: nothing is queued a second time.
        var batch = await host.Outbox.ClaimAsync("webhooks:a", OutboxTestHost.Claim());
        batch!.Events.Should().HaveCount(4);
        await host.Outbox.CompleteAsync(batch);
        await sink.WriteBatchAsync(events, CancellationToken.None);
        (await host.DeliveriesAsync()).Should().BeEmpty();

        // A batch mixing stored and new events queues only the new ones.
        var fresh = await StoreTestSupport.ProcessedEventsAsync(host.Services, 2, "new");
        await sink.WriteBatchAsync([.. events, .. fresh], CancellationToken.None);
        (await host.DeliveriesAsync()).Select(e => e.EventId).Should().Equal(fresh.Select(e => e.Id));
        (await StoreTestSupport.ReadRowsAsync<StoreTestContext>(host.Database)).Should().HaveCount(6);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Without_subscribers_the_store_writes_no_deliveries_and_never_notifies(DatabaseProvider provider)
    {
        await using var host = await OutboxTestHost.CreateAsync(provider);
        long before = host.Signal.Version;

        await host.WriteAsync(3);

        (await StoreTestSupport.ReadRowsAsync<StoreTestContext>(host.Database)).Should().HaveCount(3);
        // No delivery package, no outbox: not even the tables are in the host's model or its database.
        await using (var context = StoreTestSupport.NewContext<StoreTestContext>(host.Database, host.Services))
        {
            OutboxWriter.IsMapped(context.Model).Should().BeFalse();
        }

        (await DatabaseCatalog.TablesAsync(provider, host.Database.ConnectionString)).Should().NotContain(t => t.Contains("outbox", StringComparison.Ordinal));
        host.Signal.Version.Should().Be(before);
        host.Services.GetRequiredService<OutboxWriter>().HasSubscribers.Should().BeFalse();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Transactional_recording_writes_deliveries_on_commit_and_none_on_rollback(DatabaseProvider provider)
    {
        var subscriber = new TestSubscriber("webhooks:notes", e => e.Name.StartsWith("activity_log.note.", StringComparison.Ordinal));
        await using var host = await CaptureTestHost.StartAsync(provider, services: s => s.AddSingleton<IActivityOutboxSubscriber>(subscriber));
        var signal = host.Services.GetRequiredService<ActivityOutboxSignal>();
        long beforeRollback = signal.Version;

        // Rolled back: neither the note, nor its event, nor its delivery, nor a wake-up.
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

        (await DeliveriesAsync(host)).Should().BeEmpty();
        (await host.EventsAsync()).Should().BeEmpty();
        signal.Version.Should().Be(beforeRollback, "nothing was committed");
        long beforeCommit = signal.Version;

        // Committed in the app's own transaction: deliveries for the accepted event only, and a wake-up after the commit.
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

            signal.Version.Should().Be(beforeCommit, "the deliveries are not visible before the app's transaction commits");
            await transaction.CommitAsync();
        }

        signal.Version.Should().Be(beforeCommit + 1);
        var events = await host.EventsAsync();
        events.Select(e => e.Name).Should().Equal("activity_log.note.added", "activity_log.user.logged_in");
        (await DeliveriesAsync(host)).Select(e => (e.Destination, e.EventId)).Should().Equal(("webhooks:notes", events[0].Id));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Change_capture_writes_deliveries_for_client_keys_and_for_keys_the_database_generates(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider, services: s => s.AddSingleton<IActivityOutboxSubscriber>(new TestSubscriber("webhooks:all")));
        var signal = host.Services.GetRequiredService<ActivityOutboxSignal>();
        long before = signal.Version;

        await using (var scope = host.OpenContext())
        {
            // The customer's key is an identity column: its event and delivery are inserted when EF Core commits.
            var customer = new Customer { Name = "Jane Doe" };
            scope.Db.Customers.Add(customer);
            await scope.Db.SaveChangesAsync();
            scope.Db.Orders.Add(new Order { Id = Guid.NewGuid(), Number = "SO-1", CustomerId = customer.Id });
            await scope.Db.SaveChangesAsync();
        }

        var events = await host.EventsAsync();
        events.Should().HaveCount(2);
        (await DeliveriesAsync(host)).Select(e => e.EventId).Should().BeEquivalentTo(events.Select(e => e.Id));
        signal.Version.Should().Be(before + 2, "one wake-up per committed save");
        (await host.Services.GetRequiredService<IActivityOutbox>().CountPendingAsync("webhooks:all")).Should().Be(2);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Events_recorded_on_a_running_host_reach_the_outbox_and_wake_a_waiting_worker(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "outbox_host");
        using var host = await StoreTestSupport.StartHostAsync<StoreTestContext>(
            database, _ => { }, services: s => s.AddSingleton<IActivityOutboxSubscriber>(new TestSubscriber("webhooks:live")));
        await using (var context = StoreTestSupport.NewContext<StoreTestContext>(database, host.Services))
        {
            await context.Database.EnsureCreatedAsync();
        }

        var signal = host.Services.GetRequiredService<ActivityOutboxSignal>();
        var outbox = host.Services.GetRequiredService<IActivityOutbox>();
        var claim = new ActivityOutboxClaim { MaxEvents = 10, Lease = TimeSpan.FromMinutes(1) };

        // A worker that found nothing waits on the signal (with a poll interval far beyond the test's patience).
        long seen = signal.Version;
        (await outbox.ClaimAsync("webhooks:live", claim)).Should().BeNull();
        var woken = signal.WaitAsync(seen, TimeSpan.FromHours(1), TimeProvider.System, CancellationToken.None);
        host.Services.GetRequiredService<IActivityRecorder>().Record("activity_log.user.updated", resource: new ActivityResource("user", 7, "Jane"), accountId: "acct-1");

        (await woken.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue("the store notifies after committing the delivery");
        var batch = (await outbox.ClaimAsync("webhooks:live", claim))!;
        batch.Events.Should().ContainSingle().Which.Name.Should().Be("activity_log.user.updated");
        batch.Events[0].Description.Should().NotBeNullOrEmpty("the outbox hands out events as the pipeline left them");
        await outbox.CompleteAsync(batch);
        (await outbox.CountPendingAsync("webhooks:live")).Should().Be(0);
        await host.StopAsync();
    }

    private static Task<List<OutboxDeliveryRow>> DeliveriesAsync(CaptureTestHost host) =>
        host.QueryAsync(db => db.Set<OutboxDeliveryRow>().AsNoTracking().OrderBy(e => e.Id).ToListAsync());
}

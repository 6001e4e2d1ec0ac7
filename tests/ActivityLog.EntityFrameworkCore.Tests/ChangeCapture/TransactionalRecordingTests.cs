using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;

/// <summary>
/// Events recorded inside <c>db.RecordActivities()</c> join the context's next <c>SaveChanges</c>: they commit and
/// roll back with the business change, survive a failed save for its retry, and never reach the queue.
/// </summary>
public sealed class TransactionalRecordingTests
{
    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Events_recorded_in_a_unit_of_work_commit_with_the_explicit_transaction(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            var db = scope.Db;
            await using var transaction = await db.Database.BeginTransactionAsync();
            using (var activities = db.RecordActivities())
            {
                db.Notes.Add(new Note { Text = "Quarterly review" });
                host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "1", "Quarterly review"));
                host.Recorder.Record("activity_log.note.pinned", new ActivityResource("note", "1", "Quarterly review"));
                activities.PendingCount.Should().Be(2);

                await db.SaveChangesAsync();
                activities.PendingCount.Should().Be(0, "the save stored them");
            }

            await transaction.CommitAsync();
        }

        var events = await host.EventsAsync();
        events.Select(e => e.Name).Should().Equal("activity_log.note.added", "activity_log.note.pinned");
        events.Select(e => e.Description).Should().Equal("added the note Quarterly review", "pinned the note Quarterly review");
        events.Should().OnlyContain(e => e.Id != Guid.Empty);
        (await host.QueryAsync(db => db.Notes.CountAsync())).Should().Be(1);

        // They went into the database through the transaction only, never through the queue.
        await host.Dispatcher.FlushAsync();
        host.Queued.Events.Should().BeEmpty();
        (await host.EventsAsync()).Should().HaveCount(2);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_rolled_back_transaction_stores_neither_the_change_nor_its_events(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            var db = scope.Db;
            await using var transaction = await db.Database.BeginTransactionAsync();
            using var activities = db.RecordActivities();
            db.Notes.Add(new Note { Text = "Draft" });
            db.Customers.Add(new Customer { Name = "Jane Doe" });
            host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "1", "Draft"));
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        await host.Dispatcher.FlushAsync();
        (await host.EventsAsync()).Should().BeEmpty("the recorded and the captured event rolled back with the transaction");
        host.Queued.Events.Should().BeEmpty("a recorded event of a unit of work never falls back to the queue");
        (await host.QueryAsync(db => db.Notes.CountAsync())).Should().Be(0);
        (await host.QueryAsync(db => db.Customers.CountAsync())).Should().Be(0);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Without_an_explicit_transaction_SaveChanges_stores_the_events_atomically(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            var db = scope.Db;
            using var activities = db.RecordActivities();
            db.Notes.Add(new Note { Text = "Async" });
            host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "1", "Async"));
            await db.SaveChangesAsync();

            // The synchronous SaveChanges takes the same path.
            db.Notes.Add(new Note { Text = "Sync" });
            host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "2", "Sync"));
            db.SaveChanges();

            db.ChangeTracker.Entries<StoredActivityLogEvent>().Should().BeEmpty("stored rows are detached after the save");
        }

        var events = await host.EventsAsync();
        events.Select(e => e.ResourceName).Should().Equal("Async", "Sync");
        (await host.QueryAsync(db => db.Notes.CountAsync())).Should().Be(2);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_failed_SaveChanges_keeps_the_events_for_its_retry(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var setup = host.OpenContext())
        {
            setup.Db.Customers.Add(new Customer { Name = "Existing", Email = "taken@example.com" });
            await setup.Db.SaveChangesAsync();
        }

        await using (var scope = host.OpenContext())
        {
            var db = scope.Db;
            using var activities = db.RecordActivities();
            var customer = new Customer { Name = "Newcomer", Email = "taken@example.com" };
            db.Customers.Add(customer);
            host.Recorder.Record("activity_log.customer.invited", new ActivityResource("customer", "new", "Newcomer"));

            var failed = () => db.SaveChangesAsync();
            await failed.Should().ThrowAsync<DbUpdateException>("the email is unique");
            activities.PendingCount.Should().Be(1, "the failed save kept the recorded event");
            (await host.EventsAsync()).Should().HaveCount(1, "only the setup's event is stored");

            customer.Email = "newcomer@example.com";
            await db.SaveChangesAsync();
            activities.PendingCount.Should().Be(0);
        }

        var events = await host.EventsAsync();
        events.Select(e => e.Name).Should().BeEquivalentTo(
            ["activity_log.customer.created", "activity_log.customer.invited", "activity_log.customer.created"],
            "the retry stored the recorded event once and captured the customer once");
        events.Select(e => e.Id).Should().OnlyHaveUniqueItems();
        (await host.QueryAsync(db => db.Customers.CountAsync())).Should().Be(2);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Events_no_SaveChanges_stored_are_discarded_with_a_warning_when_the_unit_of_work_ends(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            using var activities = scope.Db.RecordActivities();
            host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "1", "Never saved"));
        }

        var warning = host.Logs.GetSnapshot().Should().ContainSingle(r => r.Level == LogLevel.Warning && r.Id.Id == 2400).Subject;
        warning.Message.Should().Contain("1 activity events").And.Contain("ShopContext").And.Contain("activity_log.note.added")
            .And.NotContain("Never saved", "log lines name events, never their values");

        await host.Dispatcher.FlushAsync();
        host.Queued.Events.Should().BeEmpty("the business change was not saved, so its events are not recorded elsewhere");
        (await host.EventsAsync()).Should().BeEmpty();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Recording_goes_back_to_the_queue_once_the_unit_of_work_ends(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            using (scope.Db.RecordActivities())
            {
                using (scope.Db.RecordActivities())
                {
                    host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "1", "Inner"));
                }

                // The inner unit of work ended, the outer one still collects.
                host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "2", "Outer"));
                await scope.Db.SaveChangesAsync();
            }

            host.Recorder.Record("activity_log.note.viewed", new ActivityResource("note", "2", "Outer"));
        }

        await host.Dispatcher.FlushAsync();
        host.Queued.Events.Select(e => e.Name).Should().Equal("activity_log.note.viewed");
        (await host.EventsAsync()).Select(e => e.ResourceName).Should().Contain(["Inner", "Outer"]);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_gate_drops_events_of_a_disabled_account_but_not_the_business_change(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider, log => log.UseGate((account, _) => ValueTask.FromResult(account != "suspended")));
        await using (var scope = host.OpenContext())
        {
            var db = scope.Db;
            using var activities = db.RecordActivities();
            db.Notes.Add(new Note { Text = "Kept" });
            host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "1", "Kept"), accountId: "suspended");
            host.Recorder.Record("activity_log.note.added", new ActivityResource("note", "1", "Kept"), accountId: "acme");
            await db.SaveChangesAsync();
        }

        var events = await host.EventsAsync();
        events.Should().ContainSingle().Which.AccountId.Should().Be("acme");
        (await host.QueryAsync(db => db.Notes.CountAsync())).Should().Be(1);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Recorded_events_are_redacted_and_described_before_they_are_stored(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            using var activities = scope.Db.RecordActivities();
            using var ambient = ActivityScope.Begin(ActivityActor.User(783, "Jane Doe"), accountId: "acme");
            host.Recorder.Record("activity_log.user.updated", new ActivityResource("user", 783, "Jane Doe"),
                changes: [ActivityChange.Of("password", "old-secret", "new-secret"), ActivityChange.Of("title", "Dev", "Lead")]);
            await scope.Db.SaveChangesAsync();
        }

        var row = (await host.EventsAsync()).Should().ContainSingle().Subject;
        CaptureTestHost.Change(row, "password").Should().Be(("\"[FILTERED]\"", "\"[FILTERED]\""));
        CaptureTestHost.Change(row, "title").Should().Be(("\"Dev\"", "\"Lead\""));
        row.Description.Should().Be("updated the user Jane Doe");
        (row.ActorId, row.ActorName, row.ActorIdIsNumber, row.AccountId).Should().Be(("783", "Jane Doe", true, "acme"));
    }
}

using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static ActivityLog.EntityFrameworkCore.Tests.Outbox.OutboxTestHost;

namespace ActivityLog.EntityFrameworkCore.Tests.Outbox;

/// <summary>
/// <see cref="IActivityOutbox"/> on the EF Core store: batches are formed oldest first within their limits, keep their
/// id and events across retries, lease expiry and redelivery, and leave the outbox when completed.
/// </summary>
public sealed class OutboxClaimTests
{
    private const string Destination = "webhooks:siem";

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Claims_form_batches_from_the_oldest_deliveries_and_complete_removes_them(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination), new TestSubscriber("webhooks:other"));
        var events = await host.WriteAsync(5);
        var outbox = host.Outbox;

        var first = await outbox.ClaimAsync(Destination, Claim(maxEvents: 2, lease: TimeSpan.FromMinutes(2)));
        var second = await outbox.ClaimAsync(Destination, Claim(maxEvents: 2));

        first!.Destination.Should().Be(Destination);
        first.Attempt.Should().Be(0);
        first.LeaseExpiresAt.Should().Be(Start.AddMinutes(2));
        first.Events.Select(e => e.Id).Should().Equal(events[0].Id, events[1].Id);
        second!.Events.Select(e => e.Id).Should().Equal(events[2].Id, events[3].Id);
        second.Id.Should().NotBe(first.Id);
        // The events come back as the pipeline left them (read from the activity log table).
        first.Events[0].Should().BeEquivalentTo(events[0], o => o.Excluding(e => e.Timestamp));
        first.Events[0].Timestamp.Should().BeCloseTo(events[0].Timestamp, TimeSpan.FromMicroseconds(1));
        (await outbox.CountPendingAsync(Destination)).Should().Be(5, "batched deliveries are still pending until completed");

        await outbox.CompleteAsync(first);
        await outbox.CompleteAsync(first); // idempotent

        (await outbox.CountPendingAsync(Destination)).Should().Be(3);
        var third = await outbox.ClaimAsync(Destination, Claim(maxEvents: 2));
        third!.Events.Select(e => e.Id).Should().Equal(events[4].Id);
        (await outbox.ClaimAsync(Destination, Claim())).Should().BeNull("the other two batches are leased");
        await outbox.CompleteAsync(second);
        await outbox.CompleteAsync(third);
        (await outbox.CountPendingAsync(Destination)).Should().Be(0);
        (await outbox.ClaimAsync(Destination, Claim())).Should().BeNull();
        (await host.BatchesAsync()).Should().BeEmpty();
        // The other destination's deliveries are untouched, and the events stay in the activity log.
        (await outbox.CountPendingAsync("webhooks:other")).Should().Be(5);
        (await StoreTestSupport.ReadRowsAsync<StoreTestContext>(host.Database)).Should().HaveCount(5);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_batch_retried_later_comes_back_with_the_same_id_and_events_when_due(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination));
        await host.WriteAsync(3);
        var outbox = host.Outbox;
        var batch = (await outbox.ClaimAsync(Destination, Claim()))!;

        await outbox.RetryLaterAsync(batch, Start.AddMinutes(5), "HTTP 503 from https://siem.example/hook");

        (await outbox.ClaimAsync(Destination, Claim())).Should().BeNull("the retry is not due yet");
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var again = (await outbox.ClaimAsync(Destination, Claim(lease: TimeSpan.FromSeconds(30))))!;

        again.Id.Should().Be(batch.Id);
        again.Attempt.Should().Be(1);
        again.Events.Select(e => e.Id).Should().Equal(batch.Events.Select(e => e.Id));
        again.LeaseExpiresAt.Should().Be(Start.AddMinutes(5).AddSeconds(30));
        var row = (await host.BatchesAsync()).Single();
        row.LastError.Should().Be("HTTP 503 from https://siem.example/hook");
        (await outbox.CountPendingAsync(Destination)).Should().Be(3);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task An_expired_lease_gives_the_same_batch_to_the_next_claim_and_fences_off_the_old_claim(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination));
        await host.WriteAsync(2);
        var outbox = host.Outbox;
        var crashed = (await outbox.ClaimAsync(Destination, Claim(lease: TimeSpan.FromMinutes(1))))!;

        (await outbox.ClaimAsync(Destination, Claim())).Should().BeNull("the batch is leased and no delivery is left unbatched");
        host.Time.Advance(TimeSpan.FromSeconds(59));
        (await outbox.ClaimAsync(Destination, Claim())).Should().BeNull("the lease runs for a minute");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var taken = (await outbox.ClaimAsync(Destination, Claim(lease: TimeSpan.FromMinutes(1))))!;

        taken.Id.Should().Be(crashed.Id, "a worker that died mid-delivery leaves its batch to the next claim, same id");
        taken.Attempt.Should().Be(0);
        taken.Events.Select(e => e.Id).Should().Equal(crashed.Events.Select(e => e.Id));

        // The first worker wakes up late and reports a failure: the newer claim keeps its lease.
        await outbox.RetryLaterAsync(crashed, host.Time.GetUtcNow(), "late");
        await outbox.DeadLetterAsync(crashed, "late");
        (await outbox.ClaimAsync(Destination, Claim())).Should().BeNull();
        (await outbox.ListDeadLettersAsync(Destination)).Should().BeEmpty();
        var row = (await host.BatchesAsync()).Single();
        row.Attempt.Should().Be(0);
        row.LastError.Should().BeNull();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Dead_letters_are_listed_excluded_from_the_count_and_redelivered_with_the_same_id(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination), new TestSubscriber("webhooks:other"));
        await host.WriteAsync(3);
        var outbox = host.Outbox;
        var batch = (await outbox.ClaimAsync(Destination, Claim(maxEvents: 2)))!;
        await outbox.RetryLaterAsync(batch, Start, "HTTP 500");
        batch = (await outbox.ClaimAsync(Destination, Claim(maxEvents: 2)))!;
        batch.Attempt.Should().Be(1);
        host.Time.Advance(TimeSpan.FromMinutes(1));

        await outbox.DeadLetterAsync(batch, new string('x', 2_500));

        (await outbox.CountPendingAsync(Destination)).Should().Be(1, "the dead letter's two events are not queued");
        var dead = (await outbox.ListDeadLettersAsync(Destination)).Should().ContainSingle().Subject;
        dead.BatchId.Should().Be(batch.Id);
        dead.Destination.Should().Be(Destination);
        dead.EventCount.Should().Be(2);
        dead.Attempts.Should().Be(2);
        dead.LastError.Should().Be(new string('x', 2_000), "at most 2,000 characters are kept");
        dead.CreatedAt.Should().Be(Start);
        dead.DeadLetteredAt.Should().Be(Start.AddMinutes(1));
        (await outbox.ListDeadLettersAsync(null)).Should().ContainSingle();
        (await outbox.ListDeadLettersAsync("webhooks:other")).Should().BeEmpty();
        var other = (await outbox.ClaimAsync(Destination, Claim()))!;
        other.Events.Should().ContainSingle("the dead letter is never claimed; the third delivery is");
        await outbox.CompleteAsync(other);
        (await outbox.ClaimAsync(Destination, Claim())).Should().BeNull();

        long seen = host.Signal.Version;
        (await outbox.RedeliverAsync(batch.Id)).Should().BeTrue();
        (await outbox.RedeliverAsync(batch.Id)).Should().BeFalse("it is no longer a dead letter");
        (await outbox.RedeliverAsync(Guid.NewGuid())).Should().BeFalse();
        host.Signal.Version.Should().BeGreaterThan(seen, "a redelivered batch wakes the workers");

        (await outbox.ListDeadLettersAsync(null)).Should().BeEmpty();
        (await outbox.CountPendingAsync(Destination)).Should().Be(2);
        var redelivered = (await outbox.ClaimAsync(Destination, Claim()))!;
        redelivered.Id.Should().Be(batch.Id);
        redelivered.Attempt.Should().Be(0);
        redelivered.Events.Select(e => e.Id).Should().Equal(batch.Events.Select(e => e.Id));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_new_batch_stays_within_max_bytes_but_always_takes_one_event(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination));
        var events = await host.WriteAsync(5);
        var outbox = host.Outbox;
        var measured = new List<Guid>();
        int Measure(ActivityLogEvent e)
        {
            measured.Add(e.Id);
            return e.Resource!.Value.Id == "r0" ? 1_000 : 100;
        }

        var oversized = (await outbox.ClaimAsync(Destination, Claim(maxEvents: 10) with { MaxBytes = 250, MeasureBytes = Measure }))!;
        var two = (await outbox.ClaimAsync(Destination, Claim(maxEvents: 10) with { MaxBytes = 250, MeasureBytes = Measure }))!;
        var byCount = (await outbox.ClaimAsync(Destination, Claim(maxEvents: 1) with { MaxBytes = 10_000, MeasureBytes = Measure }))!;
        var rest = (await outbox.ClaimAsync(Destination, Claim(maxEvents: 10) with { MaxBytes = 300, MeasureBytes = Measure }))!;

        oversized.Events.Select(e => e.Id).Should().Equal([events[0].Id], "a single event larger than MaxBytes still forms a batch of one");
        two.Events.Select(e => e.Id).Should().Equal(events[1].Id, events[2].Id);
        byCount.Events.Select(e => e.Id).Should().Equal(events[3].Id);
        rest.Events.Select(e => e.Id).Should().Equal(events[4].Id);
        measured.Should().Contain(events[0].Id);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Retention_keeps_events_that_still_wait_in_the_outbox(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination, e => e.Resource!.Value.Id!.StartsWith('q')));
        var queued = await host.WriteAsync(3, "q");
        await host.WriteAsync(2, "p");
        host.Time.Advance(TimeSpan.FromDays(10));
        var retention = host.Services.GetRequiredService<IActivityLogRetention>();

        (await retention.DeleteOlderThanAsync(TimeSpan.FromDays(1))).Should().Be(2);
        (await StoreTestSupport.ReadRowsAsync<StoreTestContext>(host.Database)).Select(r => r.Id).Should().BeEquivalentTo(queued.Select(e => e.Id));

        var batch = (await host.Outbox.ClaimAsync(Destination, Claim()))!;
        batch.Events.Should().HaveCount(3, "the kept events are still delivered whole");
        await host.Outbox.CompleteAsync(batch);
        (await retention.DeleteOlderThanAsync(TimeSpan.FromDays(1))).Should().Be(3, "delivered, they are old events like any other");
        (await StoreTestSupport.ReadRowsAsync<StoreTestContext>(host.Database)).Should().BeEmpty();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Deliveries_whose_events_were_deleted_by_hand_are_dropped_not_sent(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination));
        var events = await host.WriteAsync(3);
        await using (var context = StoreTestSupport.NewContext<StoreTestContext>(host.Database, host.Services))
        {
            var doomed = new[] { events[0].Id, events[2].Id };
            await context.Set<StoredActivityLogEvent>().Where(e => doomed.Contains(e.Id)).ExecuteDeleteAsync();
        }

        var batch = (await host.Outbox.ClaimAsync(Destination, Claim()))!;
        batch.Events.Select(e => e.Id).Should().Equal(events[1].Id);
        await host.Outbox.CompleteAsync(batch);

        (await host.DeliveriesAsync()).Should().BeEmpty("the orphaned deliveries went with the batch");
        (await host.Outbox.ClaimAsync(Destination, Claim())).Should().BeNull();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Bad_arguments_are_refused(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination));
        var outbox = host.Outbox;

        await outbox.Invoking(o => o.ClaimAsync("", Claim())).Should().ThrowAsync<ArgumentException>();
        await outbox.Invoking(o => o.ClaimAsync(Destination, Claim(maxEvents: 0))).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await outbox.Invoking(o => o.ClaimAsync(Destination, Claim(lease: TimeSpan.Zero))).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await outbox.Invoking(o => o.ClaimAsync(Destination, Claim() with { MaxBytes = 0 })).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await outbox.Invoking(o => o.ListDeadLettersAsync(null, 0)).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await outbox.Invoking(o => o.ListDeadLettersAsync(null, 1_001)).Should().ThrowAsync<ArgumentOutOfRangeException>();
        (await outbox.ListDeadLettersAsync(null, 1_000)).Should().BeEmpty();
    }

    [Fact]
    public void Two_subscribers_with_one_destination_name_are_refused()
    {
        var act = () => new OutboxWriter([new TestSubscriber("a"), new TestSubscriber("a")], [], new ActivityOutboxSignal(), TimeProvider.System);
        act.Should().Throw<InvalidOperationException>().WithMessage("*share the destination name 'a'*");
        var tooLong = () => new OutboxWriter([new TestSubscriber(new string('d', 201))], [], new ActivityOutboxSignal(), TimeProvider.System);
        tooLong.Should().Throw<InvalidOperationException>();
    }
}

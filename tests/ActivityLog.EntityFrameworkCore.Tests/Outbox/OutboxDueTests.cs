using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using static ActivityLog.EntityFrameworkCore.Tests.Outbox.OutboxTestHost;

namespace ActivityLog.EntityFrameworkCore.Tests.Outbox;

/// <summary>
/// What one delivery engine needs from the EF Core outbox: which destinations have work due (oldest due first, none in
/// flight), when more falls due, one batch in flight per destination across processes, recovery and discarding.
/// </summary>
public sealed class OutboxDueTests
{
    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Due_destinations_come_oldest_work_first_and_in_flight_ones_are_left_out(DatabaseProvider provider)
    {
        var router = new AccountRouter(e => [$"sub:{e.AccountId}"]);
        await using var host = await CreateAsync(provider, [router]);
        var outbox = host.Outbox;
        (await outbox.ListDueAsync(100)).Should().BeEquivalentTo(ActivityOutboxDueList.Empty);

        await host.WriteAsync(2, prefix: "b", accountId: "b");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await host.WriteAsync(2, prefix: "a", accountId: "a");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await host.WriteAsync(2, prefix: "c", accountId: "c");

        var due = await outbox.ListDueAsync(100);
        due.Destinations.Should().Equal("sub:b", "sub:a", "sub:c");
        due.NextDueAt.Should().BeNull();
        (await outbox.ListDueAsync(2)).Destinations.Should().Equal("sub:b", "sub:a");

        // b in flight (leased): left out; its lease's end is when it may fall due again.
        var b = (await outbox.ClaimAsync("sub:b", Claim(maxEvents: 1, lease: TimeSpan.FromMinutes(1))))!;
        due = await outbox.ListDueAsync(100);
        due.Destinations.Should().Equal("sub:a", "sub:c");
        due.NextDueAt.Should().Be(host.Time.GetUtcNow().AddMinutes(1));

        // b retried in 10 minutes with its second delivery still unbatched: due now (for the unbatched one).
        await outbox.RetryLaterAsync(b, host.Time.GetUtcNow().AddMinutes(10), "HTTP 503");
        due = await outbox.ListDueAsync(100);
        due.Destinations.Should().Equal("sub:b", "sub:a", "sub:c");
        due.NextDueAt.Should().Be(host.Time.GetUtcNow().AddMinutes(10));

        // a's work is all in one batch under retry: not due until its retry time, which then orders it.
        var a = (await outbox.ClaimAsync("sub:a", Claim()))!;
        await outbox.RetryLaterAsync(a, host.Time.GetUtcNow().AddMinutes(5), "timeout");
        due = await outbox.ListDueAsync(100);
        due.Destinations.Should().Equal("sub:b", "sub:c");
        due.NextDueAt.Should().Be(host.Time.GetUtcNow().AddMinutes(5));
        host.Time.Advance(TimeSpan.FromMinutes(5));
        (await outbox.ListDueAsync(100)).Destinations.Should().Equal("sub:b", "sub:c", "sub:a");

        // A lease that lapsed (a worker died) makes its batch due again.
        var c = (await outbox.ClaimAsync("sub:c", Claim(lease: TimeSpan.FromSeconds(30))))!;
        (await outbox.ListDueAsync(100)).Destinations.Should().NotContain("sub:c");
        host.Time.Advance(TimeSpan.FromSeconds(30));
        (await outbox.ListDueAsync(100)).Destinations.Should().Contain("sub:c");
        (await outbox.ClaimAsync("sub:c", Claim()))!.Id.Should().Be(c.Id);

        // Dead letters are not due work.
        await outbox.DeadLetterAsync((await outbox.ClaimAsync("sub:a", Claim()))!, "gone");
        (await outbox.ListDueAsync(100)).Destinations.Should().NotContain("sub:a");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_second_process_gets_nothing_for_a_destination_while_the_first_holds_a_live_lease(DatabaseProvider provider)
    {
        var router = new AccountRouter(e => [$"sub:{e.AccountId}"]);
        await using var first = await CreateAsync(provider, [router]);
        await using var second = first.Sibling([router]);
        await first.WriteAsync(5, accountId: "acme");

        var held = (await first.Outbox.ClaimAsync("sub:acme", Claim(maxEvents: 2)))!;
        (await second.Outbox.ClaimAsync("sub:acme", Claim(maxEvents: 2))).Should().BeNull("one batch in flight per destination");
        (await second.Outbox.ListDueAsync(100)).Destinations.Should().BeEmpty();
        (await first.Outbox.ListDueAsync(100)).Destinations.Should().BeEmpty("the first process's batch is in flight, not waiting");

        // The holder reports: the destination is free for whoever claims next, with the next events in order.
        await first.Outbox.CompleteAsync(held);
        var next = (await second.Outbox.ClaimAsync("sub:acme", Claim(maxEvents: 2)))!;
        next.Events.Select(e => e.Resource?.Id).Should().Equal("r2", "r3");
        (await first.Outbox.ClaimAsync("sub:acme", Claim(maxEvents: 2))).Should().BeNull();

        // A holder that dies: once its lease lapses the other process takes the same batch over.
        first.Time.Advance(TimeSpan.FromMinutes(1));
        (await first.Outbox.ClaimAsync("sub:acme", Claim(maxEvents: 2)))!.Id.Should().Be(next.Id);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Recover_brings_back_the_dead_letters_since_a_time_with_their_ids(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber("sub:x"), new TestSubscriber("sub:y"));
        var outbox = host.Outbox;
        await host.WriteAsync(3);
        var early = (await outbox.ClaimAsync("sub:x", Claim(maxEvents: 1)))!;
        await outbox.DeadLetterAsync(early, "HTTP 410");
        host.Time.Advance(TimeSpan.FromHours(1));
        var since = host.Time.GetUtcNow();
        var late = (await outbox.ClaimAsync("sub:x", Claim(maxEvents: 1)))!;
        await outbox.DeadLetterAsync(late, "HTTP 500");
        var other = (await outbox.ClaimAsync("sub:y", Claim(maxEvents: 1)))!;
        await outbox.DeadLetterAsync(other, "HTTP 500");
        long signalled = host.Signal.Version;

        (await outbox.RecoverAsync("sub:x", since)).Should().Be(1);

        host.Signal.Version.Should().BeGreaterThan(signalled, "recovered work is due now");
        (await outbox.ListDeadLettersAsync("sub:x")).Select(d => d.BatchId).Should().Equal(early.Id);
        (await outbox.ListDeadLettersAsync("sub:y")).Select(d => d.BatchId).Should().Equal(new[] { other.Id }, "another destination's dead letters stay");
        var again = (await outbox.ClaimAsync("sub:x", Claim(maxEvents: 1)))!;
        again.Id.Should().Be(late.Id);
        again.Attempt.Should().Be(0);
        again.Events.Select(e => e.Id).Should().Equal(late.Events.Select(e => e.Id));
        (await outbox.RecoverAsync("sub:x", since)).Should().Be(0);
        await FluentActions.Invoking(() => outbox.RecoverAsync("", since)).Should().ThrowAsync<ArgumentException>();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Discard_removes_what_waits_for_a_destination_but_keeps_dead_letters_and_others(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber("sub:x"), new TestSubscriber("sub:y"));
        var outbox = host.Outbox;
        await host.WriteAsync(6);
        var dead = (await outbox.ClaimAsync("sub:x", Claim(maxEvents: 1)))!;
        await outbox.DeadLetterAsync(dead, "HTTP 410");
        var retrying = (await outbox.ClaimAsync("sub:x", Claim(maxEvents: 2)))!;
        await outbox.RetryLaterAsync(retrying, host.Time.GetUtcNow().AddMinutes(5), "HTTP 503");
        var leased = (await outbox.ClaimAsync("sub:x", Claim(maxEvents: 1)))!;

        // 2 retrying + 1 leased + 2 unbatched; the dead letter's event is not pending.
        (await outbox.DiscardPendingAsync("sub:x")).Should().Be(5);

        (await outbox.CountPendingAsync("sub:x")).Should().Be(0);
        (await outbox.ListDeadLettersAsync("sub:x")).Select(d => d.BatchId).Should().Equal(dead.Id);
        (await outbox.CountPendingAsync("sub:y")).Should().Be(6);
        (await outbox.ClaimAsync("sub:x", Claim())).Should().BeNull();
        (await outbox.ListDueAsync(100)).Destinations.Should().Equal("sub:y");
        // The worker that held a discarded batch finds it gone: completing it is harmless.
        await outbox.CompleteAsync(leased);
        (await outbox.RedeliverAsync(dead.Id)).Should().BeTrue("dead letters survive a discard");
        (await outbox.DiscardPendingAsync("sub:none")).Should().Be(0);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Discard_with_dead_letters_leaves_nothing_of_a_deleted_destination_and_keeps_the_others(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber("sub:x"), new TestSubscriber("sub:y"));
        var outbox = host.Outbox;
        await host.WriteAsync(4);
        var dead = (await outbox.ClaimAsync("sub:x", Claim(maxEvents: 1)))!;
        await outbox.DeadLetterAsync(dead, "HTTP 410");
        var otherDead = (await outbox.ClaimAsync("sub:y", Claim(maxEvents: 1)))!;
        await outbox.DeadLetterAsync(otherDead, "HTTP 410");

        (await outbox.DiscardPendingAsync("sub:x", includeDeadLetters: true)).Should().Be(4, "3 pending and the dead letter's event");

        (await outbox.ListDeadLettersAsync("sub:x")).Should().BeEmpty();
        (await outbox.RedeliverAsync(dead.Id)).Should().BeFalse("the dead letter is gone");
        (await outbox.ListDeadLettersAsync("sub:y")).Select(d => d.BatchId).Should().Equal(otherDead.Id);
        (await outbox.CountPendingAsync("sub:y")).Should().Be(3);
    }
}

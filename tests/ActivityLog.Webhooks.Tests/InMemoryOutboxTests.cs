using ActivityLog.Delivery;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Internal;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>The in-memory outbox keeps the same contract as a store's: stable batches, leases, retry times, dead letters.</summary>
public sealed class InMemoryOutboxTests
{
    private static readonly ActivityOutboxClaim Claim = new() { MaxEvents = 2, Lease = TimeSpan.FromMinutes(1) };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static ActivityLogEvent Event(int i) => new() { Name = "activity_log.user.updated", Resource = new ActivityResource("user", i, "U") };

    [Fact]
    public async Task A_batch_whose_lease_ran_out_is_claimed_again_with_the_same_id_and_events()
    {
        var outbox = new InMemoryActivityOutbox(_time, 10);
        for (int i = 0; i < 3; i++)
        {
            outbox.TryAdd("d", Event(i)).Should().BeTrue();
        }

        var first = (await outbox.ClaimAsync("d", Claim))!;
        first.Events.Should().HaveCount(2);
        var second = (await outbox.ClaimAsync("d", Claim))!;
        second.Id.Should().NotBe(first.Id);
        second.Events.Should().ContainSingle();
        (await outbox.ClaimAsync("d", Claim)).Should().BeNull("both batches are leased");

        _time.Advance(TimeSpan.FromMinutes(1));
        var again = (await outbox.ClaimAsync("d", Claim))!;
        again.Id.Should().Be(first.Id);
        again.Events.Should().Equal(first.Events);
        (await outbox.CountPendingAsync("d")).Should().Be(3);
    }

    [Fact]
    public async Task Retry_times_attempts_dead_letters_and_redelivery_follow_the_contract()
    {
        var outbox = new InMemoryActivityOutbox(_time, 10);
        outbox.TryAdd("d", Event(1));
        var batch = (await outbox.ClaimAsync("d", Claim))!;
        await outbox.RetryLaterAsync(batch, _time.GetUtcNow().AddSeconds(5), "HTTP 500");
        (await outbox.ClaimAsync("d", Claim)).Should().BeNull("not due yet");
        outbox.NextDueAt("d").Should().Be(_time.GetUtcNow().AddSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(5));
        var retried = (await outbox.ClaimAsync("d", Claim))!;
        retried.Id.Should().Be(batch.Id);
        retried.Attempt.Should().Be(1);
        await outbox.DeadLetterAsync(retried, "HTTP 500");
        (await outbox.CountPendingAsync("d")).Should().Be(0);
        var dead = (await outbox.ListDeadLettersAsync("d")).Should().ContainSingle().Subject;
        dead.Attempts.Should().Be(2);
        dead.LastError.Should().Be("HTTP 500");

        (await outbox.RedeliverAsync(batch.Id)).Should().BeTrue();
        var redelivered = (await outbox.ClaimAsync("d", Claim))!;
        redelivered.Id.Should().Be(batch.Id);
        redelivered.Attempt.Should().Be(0, "redelivery starts a fresh schedule");
        await outbox.CompleteAsync(redelivered);
        await outbox.CompleteAsync(redelivered);
        (await outbox.CountPendingAsync("d")).Should().Be(0);
        (await outbox.ListDeadLettersAsync(null)).Should().BeEmpty();
    }

    [Fact]
    public async Task The_capacity_bounds_each_destination_and_a_byte_limit_still_forms_a_batch_of_one()
    {
        var outbox = new InMemoryActivityOutbox(_time, 2);
        outbox.TryAdd("d", Event(1)).Should().BeTrue();
        outbox.TryAdd("d", Event(2)).Should().BeTrue();
        outbox.TryAdd("d", Event(3)).Should().BeFalse("full");
        outbox.TryAdd("other", Event(3)).Should().BeTrue("destinations do not share the capacity");
        outbox.AddRange("other", [Event(4), Event(5)]).Should().Be(1, "a range adds as many as fit");
        (await outbox.CountPendingAsync("other")).Should().Be(2);

        var tiny = Claim with { MaxBytes = 10, MeasureBytes = _ => 100 };
        (await outbox.ClaimAsync("d", tiny))!.Events.Should().ContainSingle("a single larger event still forms a batch");
    }

    [Theory]
    [InlineData("activity_log.user.*", "activity_log.user.updated", true)]
    [InlineData("activity_log.user.*", "activity_log.username.updated", false)]
    [InlineData("activity_log.user.updated", "activity_log.user.updated", true)]
    [InlineData("activity_log.user.updated", "activity_log.user.updated2", false)]
    [InlineData("*", "anything", true)]
    public void Filters_match_exact_names_and_dot_star_prefixes(string pattern, string name, bool accepted) =>
        new WebhookEventFilter([pattern]).Accepts(name).Should().Be(accepted);

    [Theory]
    [InlineData("activity_log.*.created")]
    [InlineData("activity_log*")]
    [InlineData("")]
    [InlineData("activity log.*")]
    public void Malformed_patterns_are_described(string pattern) =>
        WebhookEventFilter.Describe(pattern).Should().NotBeNull();
}

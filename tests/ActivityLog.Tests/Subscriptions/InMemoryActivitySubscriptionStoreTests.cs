using ActivityLog.Extensibility;

namespace ActivityLog.Tests.Subscriptions;

/// <summary>The core's in-memory subscription store keeps the contract of <see cref="IActivitySubscriptionStore"/> exactly as its docs say.</summary>
public sealed class InMemoryActivitySubscriptionStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private readonly InMemoryActivitySubscriptionStore _store = new();

    [Fact]
    public async Task An_account_lists_only_its_own_live_subscriptions_oldest_first()
    {
        var second = Subscription("acme", T0.AddMinutes(2), "Second");
        var first = Subscription("acme", T0.AddMinutes(1), "First");
        var globex = Subscription("globex", T0, "Globex's");
        var deleted = Subscription("acme", T0, "Deleted");
        foreach (var s in new[] { second, first, globex, deleted })
        {
            await _store.AddAsync(s);
        }

        (await _store.UpdateAsync(deleted with { Version = 2, DeletedAt = T0.AddMinutes(3), UpdatedAt = T0.AddMinutes(3) }, 1)).Should().BeTrue();

        (await _store.ListAsync("acme")).Select(s => s.Description).Should().Equal("First", "Second");
        (await _store.ListAsync("globex")).Select(s => s.Description).Should().Equal("Globex's");
        (await _store.ListAsync("initech")).Should().BeEmpty();
    }

    [Fact]
    public async Task Find_answers_null_for_another_accounts_id_a_tombstone_and_an_unknown_id()
    {
        var acme = Subscription("acme", T0);
        await _store.AddAsync(acme);

        (await _store.FindAsync("acme", acme.Id)).Should().BeEquivalentTo(acme);
        (await _store.FindAsync("globex", acme.Id)).Should().BeNull("another account's id is not found, whatever it is");
        (await _store.FindAsync("ACME", acme.Id)).Should().BeNull("account ids compare exactly");
        (await _store.FindAsync("acme", Guid.NewGuid())).Should().BeNull();

        await _store.UpdateAsync(acme with { Version = 2, DeletedAt = T0, UpdatedAt = T0 }, 1);
        (await _store.FindAsync("acme", acme.Id)).Should().BeNull("a tombstone is deleted for its admins");
    }

    [Fact]
    public async Task Update_succeeds_only_from_the_stored_version_and_within_the_same_account()
    {
        var acme = Subscription("acme", T0);
        await _store.AddAsync(acme);

        (await _store.UpdateAsync(acme with { Version = 2, Description = "Renamed" }, 1)).Should().BeTrue();
        (await _store.UpdateAsync(acme with { Version = 2, Description = "Stale" }, 1)).Should().BeFalse("version 1 is gone");
        (await _store.UpdateAsync(acme with { AccountId = "globex", Version = 3, Description = "Stolen" }, 2)).Should().BeFalse("an update cannot move a subscription to another account");
        (await _store.UpdateAsync(Subscription("acme", T0) with { Version = 2 }, 1)).Should().BeFalse("missing");

        var stored = await _store.FindAsync("acme", acme.Id);
        stored!.Description.Should().Be("Renamed");
        stored.Version.Should().Be(2);
        (await _store.FindAsync("globex", acme.Id)).Should().BeNull();
    }

    [Fact]
    public async Task A_tombstone_is_not_changed_again()
    {
        var acme = Subscription("acme", T0);
        await _store.AddAsync(acme);
        await _store.UpdateAsync(acme with { Version = 2, DeletedAt = T0 }, 1);

        (await _store.UpdateAsync(acme with { Version = 3, DeletedAt = null, Description = "Undeleted" }, 2)).Should().BeFalse();
        (await _store.ListChangedSinceAsync(DateTimeOffset.MinValue)).Single().DeletedAt.Should().Be(T0);
    }

    [Fact]
    public async Task Of_concurrent_updates_from_one_version_exactly_one_wins()
    {
        var acme = Subscription("acme", T0);
        await _store.AddAsync(acme);

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Task.Run(() => _store.UpdateAsync(acme with { Version = 2, Description = $"Writer {i}" }, 1))));

        results.Count(r => r).Should().Be(1);
        (await _store.FindAsync("acme", acme.Id))!.Version.Should().Be(2);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_the_field_named()
    {
        var acme = Subscription("acme", T0);
        await _store.AddAsync(acme);

        await FluentActions.Awaiting(() => _store.AddAsync(acme)).Should().ThrowAsync<InvalidOperationException>().WithMessage($"*{acme.Id}*exists*");
        await FluentActions.Awaiting(() => _store.AddAsync(Subscription("acme", T0) with { Version = 2 })).Should().ThrowAsync<ArgumentException>().WithMessage("*version 1*");
        await FluentActions.Awaiting(() => _store.AddAsync(Subscription("", T0))).Should().ThrowAsync<ArgumentException>().WithParameterName("subscription.AccountId");
        await FluentActions.Awaiting(() => _store.AddAsync(null!)).Should().ThrowAsync<ArgumentNullException>();
        await FluentActions.Awaiting(() => _store.UpdateAsync(acme with { Version = 5 }, 1)).Should().ThrowAsync<ArgumentException>().WithMessage("*carries version 5*carries 2*");
        await FluentActions.Awaiting(() => _store.ListAsync("")).Should().ThrowAsync<ArgumentException>().WithParameterName("accountId");
        await FluentActions.Awaiting(() => _store.FindAsync(null!, acme.Id)).Should().ThrowAsync<ArgumentNullException>().WithParameterName("accountId");
        await FluentActions.Awaiting(() => _store.AddAttemptsAsync([Attempt(acme, T0) with { AccountId = "" }])).Should().ThrowAsync<ArgumentException>().WithParameterName("attempts[0].AccountId");
    }

    [Fact]
    public async Task The_store_keeps_its_own_copy_of_the_events_list()
    {
        var events = new List<string> { "activity_log.user.*" };
        var acme = Subscription("acme", T0) with { Events = events };
        await _store.AddAsync(acme);

        events.Add("activity_log.domain.*");

        (await _store.FindAsync("acme", acme.Id))!.Events.Should().Equal("activity_log.user.*");
    }

    [Fact]
    public async Task Changes_since_a_time_include_every_account_and_tombstones()
    {
        var old = Subscription("acme", T0);
        var recent = Subscription("globex", T0.AddMinutes(5));
        var gone = Subscription("initech", T0);
        await _store.AddAsync(old);
        await _store.AddAsync(recent);
        await _store.AddAsync(gone);
        await _store.UpdateAsync(gone with { Version = 2, DeletedAt = T0.AddMinutes(6), UpdatedAt = T0.AddMinutes(6) }, 1);

        (await _store.ListChangedSinceAsync(DateTimeOffset.MinValue)).Should().HaveCount(3);
        (await _store.ListChangedSinceAsync(T0.AddMinutes(5))).Select(s => s.AccountId).Should().BeEquivalentTo("globex", "initech");
        (await _store.ListChangedSinceAsync(T0.AddMinutes(6))).Single().DeletedAt.Should().NotBeNull();
        (await _store.ListChangedSinceAsync(T0.AddMinutes(7))).Should().BeEmpty();
    }

    [Fact]
    public async Task Attempts_are_listed_newest_first_up_to_the_limit_and_only_to_their_account()
    {
        var acme = Subscription("acme", T0);
        await _store.AddAsync(acme);
        await _store.AddAttemptsAsync([Attempt(acme, T0.AddSeconds(1)), Attempt(acme, T0.AddSeconds(3)), Attempt(acme, T0.AddSeconds(2))]);

        (await _store.ListAttemptsAsync("acme", acme.Id, 10)).Select(a => a.AttemptedAt).Should().Equal(T0.AddSeconds(3), T0.AddSeconds(2), T0.AddSeconds(1));
        (await _store.ListAttemptsAsync("acme", acme.Id, 2)).Should().HaveCount(2);
        (await _store.ListAttemptsAsync("globex", acme.Id, 10)).Should().BeEmpty("another account's subscription has no attempts for it");
        (await _store.ListAttemptsAsync("acme", Guid.NewGuid(), 10)).Should().BeEmpty();
    }

    [Fact]
    public async Task Attempts_at_the_same_instant_are_listed_latest_kept_first()
    {
        var acme = Subscription("acme", T0);
        await _store.AddAsync(acme);
        await _store.AddAttemptsAsync([Attempt(acme, T0) with { StatusCode = 500 }]);
        await _store.AddAttemptsAsync([Attempt(acme, T0) with { StatusCode = 200 }]);

        (await _store.ListAttemptsAsync("acme", acme.Id, 10)).Select(a => a.StatusCode).Should().Equal(200, 500);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1_001)]
    public async Task An_attempt_limit_outside_1_to_1000_is_refused(int value)
    {
        await FluentActions.Awaiting(() => _store.ListAttemptsAsync("acme", Guid.NewGuid(), value))
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithParameterName("limit");
    }

    [Fact]
    public async Task Attempts_are_bounded_per_subscription_keeping_the_newest_and_their_texts_are_cut()
    {
        var acme = Subscription("acme", T0);
        await _store.AddAsync(acme);
        var attempts = Enumerable.Range(0, InMemoryActivitySubscriptionStore.MaxAttemptsPerSubscription + 50)
            .Select(i => Attempt(acme, T0.AddSeconds(i)))
            .ToList();
        attempts[^1] = attempts[^1] with { Error = new string('e', 5_000), ResponseExcerpt = new string('r', 999) + "\U0001F600" };
        await _store.AddAttemptsAsync(attempts);

        var kept = await _store.ListAttemptsAsync("acme", acme.Id, 1_000);
        kept.Should().HaveCount(InMemoryActivitySubscriptionStore.MaxAttemptsPerSubscription);
        kept[^1].AttemptedAt.Should().Be(T0.AddSeconds(50), "the oldest 50 were dropped");
        kept[0].Error.Should().HaveLength(ActivityDeliveryAttempt.MaxTextLength);
        kept[0].ResponseExcerpt.Should().Be(new string('r', 999), "a surrogate pair is never cut in half");
    }

    [Fact]
    public async Task Purge_deletes_old_attempts_and_old_tombstones_and_counts_them()
    {
        var live = Subscription("acme", T0);
        var longGone = Subscription("acme", T0);
        var justGone = Subscription("acme", T0);
        foreach (var s in new[] { live, longGone, justGone })
        {
            await _store.AddAsync(s);
        }

        await _store.UpdateAsync(longGone with { Version = 2, DeletedAt = T0.AddDays(1), UpdatedAt = T0.AddDays(1) }, 1);
        await _store.UpdateAsync(justGone with { Version = 2, DeletedAt = T0.AddDays(9), UpdatedAt = T0.AddDays(9) }, 1);
        await _store.AddAttemptsAsync([Attempt(live, T0), Attempt(live, T0.AddDays(2)), Attempt(live, T0.AddDays(8))]);

        int purged = await _store.PurgeAsync(attemptsBefore: T0.AddDays(7), deletedBefore: T0.AddDays(7));

        purged.Should().Be(3, "two attempts and one tombstone");
        (await _store.ListAttemptsAsync("acme", live.Id, 10)).Select(a => a.AttemptedAt).Should().Equal(T0.AddDays(8));
        (await _store.ListChangedSinceAsync(DateTimeOffset.MinValue)).Select(s => s.Id).Should().BeEquivalentTo([live.Id, justGone.Id]);
    }

    private static ActivitySubscription Subscription(string account, DateTimeOffset createdAt, string description = "Logging") => new()
    {
        Id = Guid.CreateVersion7(createdAt),
        AccountId = account,
        Description = description,
        Url = "https://hooks.example.com/activity",
        Format = "json",
        ProtectedSecrets = "opaque",
        CreatedAt = createdAt,
        UpdatedAt = createdAt,
    };

    private static ActivityDeliveryAttempt Attempt(ActivitySubscription subscription, DateTimeOffset at) => new()
    {
        Id = Guid.CreateVersion7(at),
        AccountId = subscription.AccountId,
        SubscriptionId = subscription.Id,
        MessageId = "msg_" + Guid.CreateVersion7(at).ToString("N"),
        AttemptedAt = at,
        Succeeded = true,
        StatusCode = 200,
        EventCount = 1,
    };
}

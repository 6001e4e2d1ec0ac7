using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Tests.Subscriptions.Support;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>
/// Issue 13, item 2: Jane Roe of globex, holding the ids of acme's webhook and of its dead letter (tampered requests),
/// can neither read nor change anything of acme's, and nothing she tries reaches acme's queue or acme's log.
/// </summary>
public sealed class SubscriptionIsolationTests
{
    [Fact]
    public async Task Another_account_cannot_get_list_change_rotate_delete_test_or_redeliver_by_id()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        Guid acmeId;
        string acmeMessage;
        using (SubscriptionTestHost.AsJohnDoe())
        {
            // No delivery of acme's own activities to the closed port: its failure clock would change acme's stored state.
            acmeId = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("Logging", "https://127.0.0.1:9/hooks/activity", "activity_log.user.*"))).Subscription.Id;
            await host.Manager.DisableAsync("acme", acmeId);
            acmeMessage = await OutboxFixtures.DeadLetterAsync(host, acmeId);
            OutboxFixtures.AddPending(host, acmeId, 2);
            await host.Manager.SendTestAsync("acme", acmeId);
        }

        var before = await host.Store.FindAsync("acme", acmeId);
        string acmeSecrets = before!.ProtectedSecrets;
        int activitiesBefore = (await host.ActivitiesAsync()).Count; // flushed: acme's own activities are in its queue now
        long pendingBefore = await host.Outbox.CountPendingAsync(OutboxFixtures.Destination(acmeId));
        int attemptsBefore = (await host.Manager.ListAttemptsAsync("acme", acmeId)).Count;
        var m = host.Manager;
        using (SubscriptionTestHost.AsJaneRoe())
        {
            var globexId = (await m.CreateAsync("globex", SubscriptionTestHost.Draft("Globex hooks"))).Subscription.Id;
            int activitiesOfGlobex = (await host.ActivitiesAsync()).Count;

            (await m.GetAsync("globex", acmeId)).Should().BeNull();
            (await m.ListAsync("globex")).Select(s => s.Id).Should().Equal(globexId);
            (await m.UpdateAsync("globex", acmeId, SubscriptionTestHost.Draft("Hijacked", "https://127.0.0.1:9/globex"))).Should().BeNull();
            (await m.EnableAsync("globex", acmeId, WebhookResumeMode.Now)).Should().BeNull();
            (await m.DisableAsync("globex", acmeId)).Should().BeNull();
            (await m.RotateSecretAsync("globex", acmeId)).Should().BeNull();
            (await m.DeleteAsync("globex", acmeId)).Should().BeFalse();
            (await m.SendTestAsync("globex", acmeId)).Should().BeNull();
            (await m.ListAttemptsAsync("globex", acmeId)).Should().BeEmpty();
            (await m.ListDeadLettersAsync("globex", acmeId)).Should().BeEmpty();
            (await m.RedeliverAsync("globex", acmeId, acmeMessage)).Should().BeFalse();
            (await m.RecoverAsync("globex", acmeId, DateTimeOffset.MinValue)).Should().Be(0);
            // Her own webhook's id with acme's message id: the outbox redelivers by message id, so this is the real attack.
            (await m.RedeliverAsync("globex", globexId, acmeMessage)).Should().BeFalse();
            (await m.RecoverAsync("globex", globexId, DateTimeOffset.MinValue)).Should().Be(0);
            (await m.ListDeadLettersAsync("globex", globexId)).Should().BeEmpty();

            (await host.ActivitiesAsync()).Skip(activitiesOfGlobex).Should().OnlyContain(
                e => e.AccountId == "globex" && e.Resource!.Value.Id == globexId.ToString("N"), "a refused call records nothing; only her own recovery is recorded");
        }

        var after = await host.Store.FindAsync("acme", acmeId);
        after.Should().BeEquivalentTo(before, "nothing of acme's changed");
        after!.ProtectedSecrets.Should().Be(acmeSecrets);
        pendingBefore.Should().BeGreaterThanOrEqualTo(2);
        (await host.Outbox.CountPendingAsync(OutboxFixtures.Destination(acmeId))).Should().Be(pendingBefore, "acme's backlog was not discarded by Jane's enable-from-now or delete");
        (await host.Outbox.ListDeadLettersAsync(OutboxFixtures.Destination(acmeId))).Should().ContainSingle("acme's dead letter stays dead");
        var target = host.Targets.Find(OutboxFixtures.Destination(acmeId));
        target.Should().NotBeNull("the engine still serves acme's webhook");
        target!.IsDisabled.Should().BeTrue("Jane's enable did not reach the engine");
        target.Subscription!.Version.Should().Be(before.Version);
        (await host.Manager.ListAttemptsAsync("acme", acmeId)).Should().HaveCount(attemptsBefore, "Jane's test event was never sent");
        (await host.ActivitiesAsync()).Skip(activitiesBefore).Should().OnlyContain(e => e.AccountId == "globex");
        (await m.ListAttemptsAsync("acme", acmeId)).Should().ContainSingle(a => a.IsTest, "acme still sees its own history");
        (await m.ListDeadLettersAsync("acme", acmeId)).Single().MessageId.Should().Be(acmeMessage);
    }

    [Fact]
    public async Task A_message_id_of_another_subscription_in_the_same_account_is_not_redelivered_through_this_one()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        // No webhook activity routed to them, so no delivery of the engine's races the fixture's claim.
        var first = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("First", events: "activity_log.user.*"))).Subscription.Id;
        var second = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("Second", events: "activity_log.user.*"))).Subscription.Id;
        string message = await OutboxFixtures.DeadLetterAsync(host, first);

        (await host.Manager.RedeliverAsync("acme", second, message)).Should().BeFalse();
        (await host.Manager.RedeliverAsync("acme", second, "msg_not-a-guid")).Should().BeFalse();
        (await host.Manager.RedeliverAsync("acme", second, "")).Should().BeFalse();
        (await host.Manager.RedeliverAsync("acme", first, message.ToUpperInvariant())).Should().BeFalse("the id is compared as written");

        (await host.Outbox.ListDeadLettersAsync(OutboxFixtures.Destination(first))).Should().ContainSingle();
        (await host.Manager.RedeliverAsync("acme", first, message)).Should().BeTrue();
        (await host.Outbox.ListDeadLettersAsync(OutboxFixtures.Destination(first))).Should().BeEmpty();
    }

    [Fact]
    public async Task A_store_that_answered_for_the_wrong_account_would_still_not_leak_through_the_manager()
    {
        // Defence in depth: a store with a broken account filter (as an EF query missing its WHERE would be).
        using var leaky = new LeakyStore();
        await using var host = await SubscriptionTestHost.StartAsync(services: s => s.AddSingleton<IActivitySubscriptionStore>(leaky));
        var acmeId = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft())).Subscription.Id;
        string secrets = (await leaky.FindAsync("acme", acmeId))!.ProtectedSecrets;

        (await host.Manager.GetAsync("globex", acmeId)).Should().BeNull();
        (await host.Manager.ListAsync("globex")).Should().BeEmpty();
        (await host.Manager.RotateSecretAsync("globex", acmeId)).Should().BeNull();
        (await host.Manager.DeleteAsync("globex", acmeId)).Should().BeFalse();
        leaky.Changes.Should().BeEmpty("globex's rotate and delete reached no stored state of acme's");
        var stored = (await leaky.ListChangedSinceAsync(DateTimeOffset.MinValue)).Single();
        stored.DeletedAt.Should().BeNull();
        stored.ProtectedSecrets.Should().Be(secrets);

        (await host.Manager.RotateSecretAsync("acme", acmeId)).Should().NotBeNull();
        leaky.Changes.Should().ContainSingle("acme's own rotation is seen by the same check").Which.ProtectedSecrets.Should().NotBe(secrets);
    }

    /// <summary>The real in-memory store, with its account filter on reads removed.</summary>
    private sealed class LeakyStore : IActivitySubscriptionStore, IDisposable
    {
        private readonly InMemoryActivitySubscriptionStore _inner = new();

        private readonly List<ActivitySubscription> _changes = [];
        private readonly SemaphoreSlim _updating = new(1, 1);

        /// <summary>
        /// Updates that changed more than the delivery engine's failure clock: the engine delivers the created
        /// webhook's own activity to a closed port in the background and may set <c>FailingSince</c> at any moment.
        /// </summary>
        public IReadOnlyList<ActivitySubscription> Changes
        {
            get
            {
                lock (_changes)
                {
                    return [.. _changes];
                }
            }
        }

        public async Task<IReadOnlyList<ActivitySubscription>> ListAsync(string accountId, CancellationToken cancellationToken = default) =>
            [.. await _inner.ListChangedSinceAsync(DateTimeOffset.MinValue, cancellationToken)];

        public async Task<ActivitySubscription?> FindAsync(string accountId, Guid id, CancellationToken cancellationToken = default) =>
            (await _inner.ListChangedSinceAsync(DateTimeOffset.MinValue, cancellationToken)).FirstOrDefault(s => s.Id == id);

        public Task AddAsync(ActivitySubscription subscription, CancellationToken cancellationToken = default) => _inner.AddAsync(subscription, cancellationToken);

        public async Task<bool> UpdateAsync(ActivitySubscription subscription, long expectedVersion, CancellationToken cancellationToken = default)
        {
            // One update at a time, so that the state compared against is the one the update replaced.
            await _updating.WaitAsync(cancellationToken);
            ActivitySubscription current;
            try
            {
                current = (await _inner.ListChangedSinceAsync(DateTimeOffset.MinValue, cancellationToken)).Single(s => s.Id == subscription.Id);
                if (!await _inner.UpdateAsync(subscription, expectedVersion, cancellationToken))
                {
                    return false; // a stale version (the engine's cached copy): nothing was written
                }
            }
            finally
            {
                _updating.Release();
            }

            var apartFromTheClock = subscription with { FailingSince = current.FailingSince, Version = current.Version, UpdatedAt = current.UpdatedAt };
            // Compared as JSON: the record's equality would compare the event list by reference.
            if (JsonSerializer.Serialize(apartFromTheClock) != JsonSerializer.Serialize(current))
            {
                lock (_changes)
                {
                    _changes.Add(subscription);
                }
            }

            return true;
        }

        public Task<IReadOnlyList<ActivitySubscription>> ListChangedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default) =>
            _inner.ListChangedSinceAsync(since, cancellationToken);

        public void Dispose() => _updating.Dispose();

        public Task AddAttemptsAsync(IReadOnlyList<ActivityDeliveryAttempt> attempts, CancellationToken cancellationToken = default) =>
            _inner.AddAttemptsAsync(attempts, cancellationToken);

        public Task<IReadOnlyList<ActivityDeliveryAttempt>> ListAttemptsAsync(string accountId, Guid subscriptionId, int limit, CancellationToken cancellationToken = default) =>
            _inner.ListAttemptsAsync(accountId, subscriptionId, limit, cancellationToken);

        public Task<int> PurgeAsync(DateTimeOffset attemptsBefore, DateTimeOffset deletedBefore, CancellationToken cancellationToken = default) =>
            _inner.PurgeAsync(attemptsBefore, deletedBefore, cancellationToken);
    }
}

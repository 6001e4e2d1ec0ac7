using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Subscriptions;
using ActivityLog.Webhooks.Tests.Subscriptions.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>The per-account limit, optimistic concurrency on the store's version, and which store the manager and engine share.</summary>
public sealed class SubscriptionLimitTests
{
    [Fact]
    public async Task An_account_may_have_20_webhooks_by_default_the_21st_is_refused_naming_the_account_and_others_are_unaffected()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        for (int i = 0; i < 20; i++)
        {
            await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft($"Hook {i}"));
        }

        var refusal = await FluentActions.Awaiting(() => host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("One too many")))
            .Should().ThrowAsync<WebhookSubscriptionException>();
        refusal.Which.Field.Should().Be("Account");
        refusal.Which.Message.Should().Contain("20 webhooks").And.Contain("MaxPerAccount");
        (await host.Manager.ListAsync("acme")).Should().HaveCount(20);
        (await host.Manager.CreateAsync("globex", SubscriptionTestHost.Draft())).Subscription.AccountId.Should().Be("globex", "the limit is per account");

        await host.Manager.DeleteAsync("acme", (await host.Manager.ListAsync("acme"))[0].Id);
        (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("After a delete"))).Should().NotBeNull("a deleted webhook frees its place");
    }

    [Fact]
    public async Task Concurrent_creates_never_exceed_the_configured_limit()
    {
        await using var host = await SubscriptionTestHost.StartAsync(s => s.MaxPerAccount = 3);

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            try
            {
                await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft($"Hook {i}"));
                return true;
            }
            catch (WebhookSubscriptionException e) when (e.Field == "Account")
            {
                return false;
            }
        })));

        results.Count(created => created).Should().Be(3);
        (await host.Manager.ListAsync("acme")).Should().HaveCount(3);
    }

    [Fact]
    public async Task A_change_that_meets_one_concurrent_change_is_made_again_from_the_stored_version()
    {
        var store = new ContendedStore(conflicts: 1);
        await using var host = await SubscriptionTestHost.StartAsync(services: s => s.AddSingleton<IActivitySubscriptionStore>(store));
        // As in the next test: no delivery of its own activities, whose failure clock would be one more stored change.
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("Logging", "https://127.0.0.1:9/hooks/activity", "activity_log.user.*"))).Subscription.Id;
        store.Arm();

        var disabled = await host.Manager.DisableAsync("acme", id);

        disabled!.Enabled.Should().BeFalse();
        var stored = await host.Store.FindAsync("acme", id);
        stored!.Version.Should().Be(3, "the other writer's change (2), then ours on top of it (3)");
        stored.Description.Should().Be("Renamed by another process", "the other change is kept, not overwritten");
        host.Logs.GetSnapshot().Should().Contain(r => r.Id.Id == 4205);
    }

    [Fact]
    public async Task A_change_that_meets_two_concurrent_changes_is_refused()
    {
        var store = new ContendedStore(conflicts: 2);
        await using var host = await SubscriptionTestHost.StartAsync(services: s => s.AddSingleton<IActivitySubscriptionStore>(store));
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("Logging", "https://127.0.0.1:9/hooks/activity", "activity_log.user.*"))).Subscription.Id;
        store.Arm();

        await FluentActions.Awaiting(() => host.Manager.RotateSecretAsync("acme", id))
            .Should().ThrowAsync<InvalidOperationException>().WithMessage($"*{id}*changed by someone else twice*");
        (await host.Store.FindAsync("acme", id))!.Version.Should().Be(3, "only the two other writers' changes");
    }

    [Fact]
    public async Task The_manager_uses_a_stores_subscription_store_over_the_in_memory_one_and_the_selector_is_one_per_container()
    {
        var durable = new ContendedStore(conflicts: 0);
        await using var host = await SubscriptionTestHost.StartAsync(services: s => s.AddSingleton<IActivitySubscriptionStore>(durable));

        var selector = host.Services.GetRequiredService<WebhookSubscriptionStoreSelector>();
        selector.Store.Should().BeSameAs(durable, "the last store that is not the in-memory one");
        selector.IsInMemory.Should().BeFalse();
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft())).Subscription.Id;
        (await durable.FindAsync("acme", id)).Should().NotBeNull();

        var bare = new ServiceCollection().AddSingleton<WebhookSubscriptionStoreSelector>().BuildServiceProvider();
        var fallback = bare.GetRequiredService<WebhookSubscriptionStoreSelector>();
        fallback.IsInMemory.Should().BeTrue();
        fallback.Store.Should().BeSameAs(fallback.Store);
    }

    /// <summary>
    /// A real store (the in-memory one) that another process writes to: the first <c>conflicts</c> updates after
    /// <see cref="Arm"/> find that someone changed the subscription just before them (a real competing update).
    /// </summary>
    private sealed class ContendedStore(int conflicts) : IActivitySubscriptionStore
    {
        private readonly InMemoryActivitySubscriptionStore _inner = new();
        private int _remaining;

        public void Arm() => _remaining = conflicts;

        public async Task<bool> UpdateAsync(ActivitySubscription subscription, long expectedVersion, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Decrement(ref _remaining) >= 0)
            {
                var current = await _inner.FindAsync(subscription.AccountId, subscription.Id, cancellationToken);
                (await _inner.UpdateAsync(current! with { Version = current.Version + 1, Description = "Renamed by another process" }, current.Version, cancellationToken)).Should().BeTrue();
            }

            return await _inner.UpdateAsync(subscription, expectedVersion, cancellationToken);
        }

        public Task<IReadOnlyList<ActivitySubscription>> ListAsync(string accountId, CancellationToken cancellationToken = default) => _inner.ListAsync(accountId, cancellationToken);

        public Task<ActivitySubscription?> FindAsync(string accountId, Guid id, CancellationToken cancellationToken = default) => _inner.FindAsync(accountId, id, cancellationToken);

        public Task AddAsync(ActivitySubscription subscription, CancellationToken cancellationToken = default) => _inner.AddAsync(subscription, cancellationToken);

        public Task<IReadOnlyList<ActivitySubscription>> ListChangedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default) => _inner.ListChangedSinceAsync(since, cancellationToken);

        public Task AddAttemptsAsync(IReadOnlyList<ActivityDeliveryAttempt> attempts, CancellationToken cancellationToken = default) => _inner.AddAttemptsAsync(attempts, cancellationToken);

        public Task<IReadOnlyList<ActivityDeliveryAttempt>> ListAttemptsAsync(string accountId, Guid subscriptionId, int limit, CancellationToken cancellationToken = default) =>
            _inner.ListAttemptsAsync(accountId, subscriptionId, limit, cancellationToken);

        public Task<int> PurgeAsync(DateTimeOffset attemptsBefore, DateTimeOffset deletedBefore, CancellationToken cancellationToken = default) =>
            _inner.PurgeAsync(attemptsBefore, deletedBefore, cancellationToken);
    }
}

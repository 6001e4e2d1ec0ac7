using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Subscriptions;
using ActivityLog.EntityFrameworkCore.Tests.Outbox;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Tests.Subscriptions;

/// <summary>
/// The EF Core <see cref="IActivitySubscriptionStore"/> on SQLite and PostgreSQL: every field round-trips, updates are
/// optimistic on the version, tombstones reach the change poll, attempts come newest first and are purged, and one
/// account never reads or changes another's subscriptions or attempts, even with the right id.
/// </summary>
public sealed class SubscriptionStoreTests
{
    private static readonly DateTimeOffset T0 = OutboxTestHost.Start;

    private static ActivitySubscription Subscription(string account, string description, DateTimeOffset at, Guid? id = null) => new()
    {
        Id = id ?? Guid.CreateVersion7(at),
        AccountId = account,
        Description = description,
        Url = $"https://hooks.example/{account}/{description}?token=s3cr3t-in-the-url",
        Format = "json",
        Events = ["activity_log.user.*", "activity_log.webhook.deleted", "quote\"and\\slash"],
        ProtectedSecrets = "CfDJ8-protected-payload-" + description,
        CreatedAt = at,
        CreatedBy = "783",
        UpdatedAt = at,
    };

    private static async Task<(OutboxTestHost Host, IActivitySubscriptionStore Store)> StoreAsync(DatabaseProvider provider)
    {
        // A host with deliveries configured maps the subscription tables beside the outbox.
        var host = await OutboxTestHost.CreateAsync(provider, new TestSubscriber("webhooks:siem"));
        return (host, host.Services.GetRequiredService<IActivitySubscriptionStore>());
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Subscriptions_round_trip_and_updates_are_optimistic_on_the_version(DatabaseProvider provider)
    {
        var (host, store) = await StoreAsync(provider);
        await using var _ = host;
        store.Should().BeOfType<EntityFrameworkActivitySubscriptionStore<StoreTestContext>>();
        var logging = Subscription("acme", "Logging", T0);
        var later = Subscription("acme", "Billing", T0.AddSeconds(1));
        await store.AddAsync(later);
        await store.AddAsync(logging with { FailingSince = T0.AddTicks(15) });

        var found = await store.FindAsync("acme", logging.Id);
        found.Should().BeEquivalentTo(logging with { FailingSince = T0.AddTicks(10) }, "times are kept to the microsecond");
        found!.Events.Should().Equal(logging.Events);
        (await store.ListAsync("acme")).Select(s => s.Description).Should().Equal("Logging", "Billing");

        var disabled = found with { Enabled = false, DisabledReason = "admin", Version = 2, UpdatedAt = T0.AddMinutes(1), UpdatedBy = "784", Events = [] };
        (await store.UpdateAsync(disabled, expectedVersion: 1)).Should().BeTrue();
        // A second change made from the old version loses: the caller reloads and tries again.
        (await store.UpdateAsync(found with { Description = "Stale", Version = 2 }, expectedVersion: 1)).Should().BeFalse();
        (await store.FindAsync("acme", logging.Id)).Should().BeEquivalentTo(disabled);
        (await store.UpdateAsync(Subscription("acme", "Missing", T0) with { Version = 2 }, expectedVersion: 1)).Should().BeFalse();

        // Deleting is an update that leaves a tombstone for the other processes' change poll.
        var deleted = disabled with { DeletedAt = T0.AddMinutes(2), UpdatedAt = T0.AddMinutes(2), Version = 3 };
        (await store.UpdateAsync(deleted, expectedVersion: 2)).Should().BeTrue();
        (await store.FindAsync("acme", logging.Id)).Should().BeNull();
        (await store.ListAsync("acme")).Select(s => s.Description).Should().Equal("Billing");
        (await store.ListChangedSinceAsync(T0.AddMinutes(1))).Should().ContainSingle().Which.Should().BeEquivalentTo(deleted);
        (await store.ListChangedSinceAsync(DateTimeOffset.MinValue)).Select(s => s.Id).Should().BeEquivalentTo([logging.Id, later.Id]);
        (await store.ListChangedSinceAsync(T0.AddMinutes(3))).Should().BeEmpty();

        // Tombstones go with the purge once old enough; live subscriptions never do.
        (await store.PurgeAsync(T0, deletedBefore: T0.AddMinutes(2))).Should().Be(0, "deleted at, not before, the cut-off");
        (await store.PurgeAsync(T0, deletedBefore: T0.AddMinutes(3))).Should().Be(1);
        (await store.ListChangedSinceAsync(DateTimeOffset.MinValue)).Select(s => s.Id).Should().Equal(later.Id);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Attempts_come_newest_first_per_subscription_and_old_ones_are_purged(DatabaseProvider provider)
    {
        var (host, store) = await StoreAsync(provider);
        await using var _ = host;
        var sub = Subscription("acme", "Logging", T0);
        var other = Subscription("acme", "Billing", T0);
        await store.AddAsync(sub);
        await store.AddAsync(other);
        var attempts = Enumerable.Range(0, 5).Select(i => new ActivityDeliveryAttempt
        {
            Id = Guid.CreateVersion7(T0.AddMinutes(i)),
            AccountId = "acme",
            SubscriptionId = i == 4 ? other.Id : sub.Id,
            MessageId = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            AttemptedAt = T0.AddMinutes(i),
            Attempt = i + 1,
            EventCount = 3,
            Succeeded = i == 3,
            StatusCode = i == 0 ? null : 500 + i,
            Error = i == 0 ? "timeout" : null,
            Duration = TimeSpan.FromMilliseconds(1234.5678),
            ResponseExcerpt = i == 1 ? new string('r', 5_000) : "ok",
            IsTest = i == 2,
        }).ToList();
        await store.AddAttemptsAsync(attempts);
        await store.AddAttemptsAsync([]);

        var listed = await store.ListAttemptsAsync("acme", sub.Id, 10);
        listed.Select(a => a.Attempt).Should().Equal(4, 3, 2, 1);
        listed[3].Should().BeEquivalentTo(attempts[0] with { Duration = TimeSpan.FromTicks(12_345_670) });
        listed[2].ResponseExcerpt.Should().HaveLength(ActivityDeliveryAttempt.MaxTextLength, "the excerpt is bounded");
        listed[1].IsTest.Should().BeTrue();
        (await store.ListAttemptsAsync("acme", sub.Id, 2)).Select(a => a.Attempt).Should().Equal(4, 3);

        (await store.PurgeAsync(T0.AddMinutes(2), deletedBefore: T0)).Should().Be(2);
        (await store.ListAttemptsAsync("acme", sub.Id, 10)).Select(a => a.Attempt).Should().Equal(4, 3);
        (await store.ListAttemptsAsync("acme", other.Id, 10)).Should().ContainSingle();
        await FluentActions.Invoking(() => store.ListAttemptsAsync("acme", sub.Id, 0)).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await FluentActions.Invoking(() => store.ListAttemptsAsync("acme", sub.Id, 1_001)).Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task One_account_never_reads_or_changes_another_accounts_subscriptions_or_attempts(DatabaseProvider provider)
    {
        var (host, store) = await StoreAsync(provider);
        await using var _ = host;
        var acme = Subscription("acme", "Logging", T0);
        await store.AddAsync(acme);
        await store.AddAttemptsAsync([new ActivityDeliveryAttempt
        {
            Id = Guid.NewGuid(), AccountId = "acme", SubscriptionId = acme.Id, MessageId = "msg_1", AttemptedAt = T0, Succeeded = true,
        }]);

        // globex knows the id (a tampered URL): still nothing.
        (await store.FindAsync("globex", acme.Id)).Should().BeNull();
        (await store.ListAsync("globex")).Should().BeEmpty();
        (await store.ListAttemptsAsync("globex", acme.Id, 100)).Should().BeEmpty();
        (await store.UpdateAsync(acme with { AccountId = "globex", Url = "https://evil.example/", Version = 2 }, expectedVersion: 1)).Should().BeFalse();
        (await store.FindAsync("acme", acme.Id)).Should().BeEquivalentTo(acme, "the other account's update changed nothing");
        (await store.FindAsync("ACME", acme.Id)).Should().BeNull("account ids are compared exactly");
        (await store.ListAttemptsAsync("acme", acme.Id, 100)).Should().ContainSingle();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Bad_input_is_refused_naming_the_field_and_never_echoing_a_value(DatabaseProvider provider)
    {
        var (host, store) = await StoreAsync(provider);
        await using var _ = host;
        var good = Subscription("acme", "Logging", T0);
        var cases = new (ActivitySubscription Subscription, string Field)[]
        {
            (good with { AccountId = "" }, "AccountId"),
            (good with { AccountId = new string('a', 201) }, "AccountId"),
            (good with { Url = "https://hooks.example/" + new string('s', 2_000) }, "Url"),
            (good with { Url = "https://hooks.example/\0s3cr3t" }, "Url"),
            (good with { Description = new string('d', 201) }, "Description"),
            (good with { Events = [.. Enumerable.Repeat("activity_log.*", 101)] }, "Events"),
            (good with { Events = ["s3cr3t\0"] }, "Events"),
            (good with { ProtectedSecrets = "" }, "ProtectedSecrets"),
            (good with { Format = "" }, "Format"),
            (good with { Id = Guid.Empty }, "Id"),
            (good with { Version = 2 }, "Version"),
        };
        foreach (var (subscription, field) in cases)
        {
            var add = () => store.AddAsync(subscription);
            var error = (await add.Should().ThrowAsync<ArgumentException>()).Which;
            error.Message.Should().Contain(field);
            error.Message.Should().NotContain("s3cr3t").And.NotContain("CfDJ8").And.NotContain("hooks.example");
        }

        var stale = () => store.UpdateAsync(good, expectedVersion: 1);
        (await stale.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("Version");
        var attempt = () => store.AddAttemptsAsync([new ActivityDeliveryAttempt
        {
            Id = Guid.NewGuid(), AccountId = "acme", SubscriptionId = good.Id, MessageId = new string('m', 101), AttemptedAt = T0,
        }]);
        (await attempt.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("MessageId");
        await FluentActions.Invoking(() => store.FindAsync("", good.Id)).Should().ThrowAsync<ArgumentException>();
        (await store.ListChangedSinceAsync(DateTimeOffset.MinValue)).Should().BeEmpty("nothing bad was written");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_tables_and_indexes_are_those_the_queries_need(DatabaseProvider provider)
    {
        var (host, _) = await StoreAsync(provider);
        await using var __ = host;
        await using var context = StoreTestSupport.NewContext<StoreTestContext>(host.Database, host.Services);
        var model = context.GetService<IDesignTimeModel>().Model; // index sort orders live in the design-time model
        var subscriptions = model.FindEntityType(typeof(SubscriptionRow))!;
        var attempts = model.FindEntityType(typeof(DeliveryAttemptRow))!;
        subscriptions.GetTableName().Should().Be("activity_log_subscriptions");
        attempts.GetTableName().Should().Be("activity_log_delivery_attempts");
        subscriptions.GetIndexes().Select(i => string.Join(",", i.Properties.Select(p => p.GetColumnName())))
            .Should().BeEquivalentTo(["account_id,created_at", "updated_at"]);
        attempts.GetIndexes().Select(i => string.Join(",", i.Properties.Select(p => p.GetColumnName())))
            .Should().BeEquivalentTo(["account_id,subscription_id,attempted_at", "attempted_at"]);
        attempts.GetIndexes().Single(i => i.Properties.Count == 3).IsDescending.Should().Equal(false, false, true);
    }

    [Fact]
    public async Task Without_deliveries_configured_the_tables_are_not_mapped_and_the_store_says_what_to_do()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "subs_unmapped");
        await using var services = StoreTestSupport.StoreServices<StoreTestContext>(database);
        await using (var context = StoreTestSupport.NewContext<StoreTestContext>(database, services))
        {
            SubscriptionModel.IsMapped(context.Model).Should().BeFalse();
        }

        var store = services.GetRequiredService<IActivitySubscriptionStore>();
        var list = () => store.ListAsync("acme");
        (await list.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("modelBuilder.AddActivityLog()");
    }
}

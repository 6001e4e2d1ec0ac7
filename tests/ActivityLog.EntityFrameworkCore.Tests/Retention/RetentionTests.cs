using System.Data.Common;
using ActivityLog.EntityFrameworkCore.Tests.Reading;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Retention;

/// <summary><see cref="IActivityLogRetention"/>: exactly the old events go, in bounded batches, across all accounts.</summary>
public sealed class RetentionTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Deletes_exactly_the_events_older_than_the_cutoff_in_batches(DatabaseProvider provider)
    {
        var deletes = new DeleteCounter();
        await using var store = await ReadingTestStore.CreateAsync(provider, o => o.RetentionBatchSize = 7, configureContext: o => o.AddInterceptors(deletes));
        var random = new Random(31);
        var cutoff = Now.AddDays(-30);
        string?[] accounts = ["acct-a", "acct-b", null];
        var old = Enumerable.Range(0, 50)
            .Select(i => Event(RandomId(random), accounts[i % 3], cutoff.AddSeconds(-1 - random.Next(0, 86_400 * 60))))
            .ToList();
        var atCutoff = Enumerable.Range(0, 3).Select(i => Event(RandomId(random), accounts[i % 3], cutoff)).ToList();
        var young = Enumerable.Range(0, 20).Select(i => Event(RandomId(random), accounts[i % 3], cutoff.AddSeconds(1 + random.Next(0, 86_400)))).ToList();
        await store.InsertAsync(old.Concat(atCutoff).Concat(young).OrderBy(_ => random.Next()));
        var retention = store.Services.GetRequiredService<IActivityLogRetention>();

        long deleted = await retention.DeleteOlderThanAsync(cutoff);

        deleted.Should().Be(50);
        var left = await store.AllRowsAsync();
        left.Select(r => r.Id).Should().BeEquivalentTo(atCutoff.Concat(young).Ids(), "the cutoff itself is kept: only strictly older events go");
        // 50 rows in batches of at most 7: seven full batches and one of the last row.
        deletes.Count.Should().Be(8);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task An_age_is_measured_from_the_registered_time_provider(DatabaseProvider provider)
    {
        var time = new FakeTimeProvider(Now);
        await using var store = await ReadingTestStore.CreateAsync(provider, services: s => s.AddSingleton<TimeProvider>(time));
        var random = new Random(32);
        var tenDays = Event(RandomId(random), "acct", Now.AddDays(-10));
        var fiveDays = Event(RandomId(random), "acct", Now.AddDays(-5));
        var oneDay = Event(RandomId(random), "acct", Now.AddDays(-1));
        await store.InsertAsync([tenDays, fiveDays, oneDay]);
        var retention = store.Services.GetRequiredService<IActivityLogRetention>();

        long first = await retention.DeleteOlderThanAsync(TimeSpan.FromDays(3));
        time.Advance(TimeSpan.FromDays(3));
        long second = await retention.DeleteOlderThanAsync(TimeSpan.FromDays(3));
        long third = await retention.DeleteOlderThanAsync(TimeSpan.FromDays(3));

        first.Should().Be(2);
        second.Should().Be(1);
        third.Should().Be(0);
        (await store.AllRowsAsync()).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Nothing_old_means_nothing_deleted_and_one_statement(DatabaseProvider provider)
    {
        var deletes = new DeleteCounter();
        await using var store = await ReadingTestStore.CreateAsync(provider, configureContext: o => o.AddInterceptors(deletes));
        var random = new Random(33);
        await store.InsertAsync(Enumerable.Range(0, 5).Select(i => Event(RandomId(random), "acct", Now.AddMinutes(i))));

        long deleted = await store.Services.GetRequiredService<IActivityLogRetention>().DeleteOlderThanAsync(Now);

        deleted.Should().Be(0);
        deletes.Count.Should().Be(1);
        (await store.AllRowsAsync()).Should().HaveCount(5);
    }

    [Fact]
    public async Task A_zero_or_negative_age_is_refused()
    {
        await using var store = await ReadingTestStore.CreateAsync(DatabaseProvider.Sqlite);
        var retention = store.Services.GetRequiredService<IActivityLogRetention>();

        await retention.Invoking(r => r.DeleteOlderThanAsync(TimeSpan.Zero)).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await retention.Invoking(r => r.DeleteOlderThanAsync(TimeSpan.FromDays(-1))).Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_cancelled_purge_deletes_nothing_more(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(34);
        await store.InsertAsync(Enumerable.Range(0, 5).Select(i => Event(RandomId(random), "acct", Now.AddDays(-100 - i))));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var purge = () => store.Services.GetRequiredService<IActivityLogRetention>().DeleteOlderThanAsync(Now, cancelled.Token);

        await purge.Should().ThrowAsync<OperationCanceledException>();
        (await store.AllRowsAsync()).Should().HaveCount(5);
    }

    /// <summary>Counts the DELETE statements a context sends: one per retention batch.</summary>
    private sealed class DeleteCounter : DbCommandInterceptor
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.TrimStart().StartsWith("DELETE", StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref _count);
            }

            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}

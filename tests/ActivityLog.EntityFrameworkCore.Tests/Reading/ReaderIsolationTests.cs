using ActivityLog.EntityFrameworkCore.Tests.Support;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>A reader never returns another account's events, whatever cursor it is given.</summary>
public sealed class ReaderIsolationTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_cursor_from_account_A_used_with_account_B_reads_only_B(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(11);
        var a = Enumerable.Range(0, 60).Select(_ => Event(RandomId(random), "acct-a", Base.AddSeconds(random.Next(0, 40)))).ToList();
        var b = Enumerable.Range(0, 60).Select(_ => Event(RandomId(random), "acct-b", Base.AddSeconds(random.Next(0, 40)))).ToList();
        await store.InsertAsync(a.Concat(b));

        var pageOfA = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct-a") { PageSize = 20 });
        var pagesOfB = await store.Reader.ReadAllPagesAsync(new ActivityLogQuery("acct-b") { PageSize = 7, Cursor = pageOfA.NextCursor });
        var streamOfB = await store.Reader.ReadAllAsync(new ActivityLogQuery("acct-b") { Cursor = pageOfA.NextCursor }).ToListAsync();

        // The cursor is only a position in time: B's events older than A's 20th event, and nothing of A.
        var position = pageOfA.Events[^1];
        var expected = b.Where(e => e.Timestamp < position.Timestamp || (e.Timestamp == position.Timestamp && e.Id.CompareTo(position.Id) < 0))
            .NewestFirst();
        expected.Should().NotBeEmpty();
        var readOfB = pagesOfB.SelectMany(p => p.Events).ToList();
        readOfB.Ids().Should().Equal(expected.Ids());
        streamOfB.Ids().Should().Equal(expected.Ids());
        readOfB.Concat(streamOfB).Where(e => e.AccountId != "acct-b").Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task No_filter_or_cursor_reaches_events_of_another_account_or_without_one(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(12);
        var actor = ActivityActor.User(1, "John Doe");
        var resource = new ActivityResource("webhook", 7, "Logging");
        // The same actor, resource, names and times in every account, and in events that belong to no account.
        var events = new List<ActivityLogEvent>();
        foreach (string? account in new[] { "acct-a", "acct-b", "acct-%", "acct-_", null })
        {
            events.AddRange(Enumerable.Range(0, 15).Select(i => Event(RandomId(random), account, Base.AddSeconds(i), "activity_log.webhook.deleted", actor, resource)));
        }

        await store.InsertAsync(events);
        var queries = new[]
        {
            new ActivityLogQuery("acct-a"),
            new ActivityLogQuery("acct-a") { ActorType = "user", ActorId = "1" },
            new ActivityLogQuery("acct-a") { ResourceType = "webhook", ResourceId = "7" },
            new ActivityLogQuery("acct-a") { EventNames = ["activity_log.*"] },
            new ActivityLogQuery("acct-a") { From = Base, To = Base.AddDays(1) },
        };

        foreach (var query in queries)
        {
            var pages = await store.Reader.ReadAllPagesAsync(query with { PageSize = 4 });
            var read = pages.SelectMany(p => p.Events).ToList();
            read.Should().HaveCount(15, "{0}", query);
            read.Where(e => e.AccountId != "acct-a").Should().BeEmpty("{0}", query);
        }

        // Account ids are compared as they are: LIKE characters and letter case are not patterns.
        (await store.Reader.ReadPageAsync(new ActivityLogQuery("acct-%"))).Events.Should().HaveCount(15).And.OnlyContain(e => e.AccountId == "acct-%");
        (await store.Reader.ReadPageAsync(new ActivityLogQuery("acct-_"))).Events.Should().HaveCount(15).And.OnlyContain(e => e.AccountId == "acct-_");
        (await store.Reader.ReadPageAsync(new ActivityLogQuery("ACCT-A"))).Events.Should().BeEmpty();
    }
}

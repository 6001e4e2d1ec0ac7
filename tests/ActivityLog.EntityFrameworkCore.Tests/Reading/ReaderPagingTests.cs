using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>Keyset pagination: order, cursor round trips, page sizes, and events arriving between pages.</summary>
public sealed class ReaderPagingTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Events_come_newest_first_and_events_at_the_same_time_by_id_descending(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(1);
        // Inserted in random order; ten share one time, so only the id decides their order.
        var events = Enumerable.Range(0, 30)
            .Select(i => Event(RandomId(random), "acct", i < 10 ? Base.AddSeconds(5) : Base.AddSeconds(random.Next(0, 10))))
            .ToList();
        await store.InsertAsync(events);

        var page = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 100 });

        page.Events.Ids().Should().Equal(events.NewestFirst().Ids());
        page.Events.Select(e => e.Timestamp).Should().BeInDescendingOrder();
        page.NextCursor.Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Cursor_pages_cover_every_event_once_in_order_across_many_pages(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(2);
        // 1,000 events on 150 distinct times: page boundaries fall inside runs of equal times.
        var events = Enumerable.Range(0, 1000).Select(_ => Event(RandomId(random), "acct", Base.AddSeconds(random.Next(0, 150)))).ToList();
        var others = Enumerable.Range(0, 200).Select(_ => Event(RandomId(random), "other", Base.AddSeconds(random.Next(0, 150)))).ToList();
        await store.InsertAsync(events.Concat(others));

        var pages = await store.Reader.ReadAllPagesAsync(new ActivityLogQuery("acct") { PageSize = 13 });

        var read = pages.SelectMany(p => p.Events).ToList();
        read.Ids().Should().OnlyHaveUniqueItems();
        read.Ids().Should().Equal(events.NewestFirst().Ids());
        pages.Should().HaveCount((1000 + 12) / 13);
        pages.Select(p => p.NextCursor).Where(c => c is not null).Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Events_arriving_between_pages_cause_neither_duplicates_nor_gaps(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(3);
        var original = Enumerable.Range(0, 100).Select(_ => Event(RandomId(random), "acct", Base.AddSeconds(random.Next(0, 20)))).ToList();
        await store.InsertAsync(original);
        var query = new ActivityLogQuery("acct") { PageSize = 10 };

        var first = await store.Reader.ReadPageAsync(query);
        var second = await store.Reader.ReadPageAsync(query with { Cursor = first.NextCursor });
        // New events are newer than everything read so far, some at exactly the newest time already shown.
        var arrived = Enumerable.Range(0, 25)
            .Select(i => Event(RandomId(random), "acct", i < 5 ? original.Max(e => e.Timestamp) : Base.AddSeconds(100 + i)))
            .ToList();
        await store.InsertAsync(arrived);
        var rest = await store.Reader.ReadAllPagesAsync(query with { Cursor = second.NextCursor });

        var read = first.Events.Concat(second.Events).Concat(rest.SelectMany(p => p.Events)).ToList();
        read.Ids().Should().OnlyHaveUniqueItems();
        // The pages after the cursor hold the events older than the cursor: the original ones, plus those of the
        // new events that sort after it (same time as the newest, smaller id), which a fresh first page would also show
        // below the cursor position. Nothing is lost and nothing repeats.
        var position = second.Events[^1];
        var expectedRest = original.Concat(arrived)
            .Where(e => e.Timestamp < position.Timestamp || (e.Timestamp == position.Timestamp && e.Id.CompareTo(position.Id) < 0))
            .NewestFirst();
        rest.SelectMany(p => p.Events).Ids().Should().Equal(expectedRest.Ids());
        read.Ids().Should().Contain(original.Ids());

        var fresh = await store.Reader.ReadAllPagesAsync(query);
        fresh.SelectMany(p => p.Events).Ids().Should().Equal(original.Concat(arrived).NewestFirst().Ids());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Page_size_defaults_to_the_option_and_is_capped_at_the_maximum(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider, o =>
        {
            o.DefaultPageSize = 4;
            o.MaxPageSize = 9;
        });
        var random = new Random(4);
        var events = Enumerable.Range(0, 30).Select(i => Event(RandomId(random), "acct", Base.AddSeconds(i))).ToList();
        await store.InsertAsync(events);
        var newest = events.NewestFirst();

        var byDefault = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct"));
        var capped = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 10_000 });
        var small = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 1 });

        byDefault.Events.Ids().Should().Equal(newest.Take(4).Ids());
        byDefault.NextCursor.Should().NotBeNull();
        capped.Events.Ids().Should().Equal(newest.Take(9).Ids());
        capped.NextCursor.Should().NotBeNull();
        small.Events.Ids().Should().Equal(newest.Take(1).Ids());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_last_page_has_no_cursor_even_when_it_is_full(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(5);
        await store.InsertAsync(Enumerable.Range(0, 14).Select(i => Event(RandomId(random), "acct", Base.AddSeconds(i))));

        var first = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 7 });
        var second = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 7, Cursor = first.NextCursor });
        var empty = await store.Reader.ReadPageAsync(new ActivityLogQuery("nobody"));

        first.Events.Should().HaveCount(7);
        first.NextCursor.Should().NotBeNull();
        second.Events.Should().HaveCount(7);
        second.NextCursor.Should().BeNull();
        empty.Events.Should().BeEmpty();
        empty.NextCursor.Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_stream_reads_every_page_and_starts_after_a_cursor(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider, o =>
        {
            o.DefaultPageSize = 10;
            o.MaxPageSize = 10;
        });
        var random = new Random(6);
        var events = Enumerable.Range(0, 95).Select(_ => Event(RandomId(random), "acct", Base.AddSeconds(random.Next(0, 30)))).ToList();
        await store.InsertAsync(events);
        await store.InsertAsync(Enumerable.Range(0, 20).Select(_ => Event(RandomId(random), "other", Base.AddSeconds(random.Next(0, 30)))));
        var newest = events.NewestFirst();

        var all = await store.Reader.ReadAllAsync(new ActivityLogQuery("acct") { PageSize = 3 }).ToListAsync();
        var first = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 10 });
        var afterFirst = await store.Reader.ReadAllAsync(new ActivityLogQuery("acct") { Cursor = first.NextCursor }).ToListAsync();

        all.Ids().Should().Equal(newest.Ids());
        afterFirst.Ids().Should().Equal(newest.Skip(10).Ids());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_stream_stops_when_cancelled(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider, o =>
        {
            o.DefaultPageSize = 5;
            o.MaxPageSize = 5;
        });
        var random = new Random(7);
        await store.InsertAsync(Enumerable.Range(0, 50).Select(i => Event(RandomId(random), "acct", Base.AddSeconds(i))));
        using var cancellation = new CancellationTokenSource();

        var read = new List<ActivityLogEvent>();
        var act = async () =>
        {
            await foreach (var e in store.Reader.ReadAllAsync(new ActivityLogQuery("acct"), cancellation.Token))
            {
                read.Add(e);
                if (read.Count == 7)
                {
                    await cancellation.CancelAsync();
                }
            }
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        read.Should().HaveCountLessThan(50);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_reader_works_from_the_root_provider_and_from_scopes_with_a_scoped_context_or_a_pooled_factory(DatabaseProvider provider)
    {
        foreach (var registration in new[] { ContextRegistration.Scoped, ContextRegistration.PooledFactory })
        {
            await using var store = await ReadingTestStore.CreateAsync(provider, registration: registration);
            var random = new Random(8);
            var events = Enumerable.Range(0, 5).Select(i => Event(RandomId(random), "acct", Base.AddSeconds(i))).ToList();
            await store.InsertAsync(events);

            var fromRoot = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct"));
            await using var scope = store.Services.CreateAsyncScope();
            var scopedReader = scope.ServiceProvider.GetRequiredService<IActivityLogReader>();
            var fromScope = await scopedReader.ReadPageAsync(new ActivityLogQuery("acct"));
            var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.Reader.ReadPageAsync(new ActivityLogQuery("acct"))));

            scopedReader.Should().BeSameAs(store.Reader, "the reader is a singleton ({0})", registration);
            fromRoot.Events.Ids().Should().Equal(events.NewestFirst().Ids(), "{0}", registration);
            fromScope.Events.Ids().Should().Equal(events.NewestFirst().Ids(), "{0}", registration);
            concurrent.Should().AllSatisfy(p => p.Events.Ids().Should().Equal(events.NewestFirst().Ids()));
        }
    }
}

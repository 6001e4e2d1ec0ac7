using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.Reading;
using ActivityLog.EntityFrameworkCore.Schema;
using ActivityLog.EntityFrameworkCore.Search;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>
/// Search over the real indexes (FTS5 on SQLite, tsvector on PostgreSQL) and the unindexed fallback: what is found,
/// what never is (masked values, other accounts), hostile input, and search paged with every other filter.
/// </summary>
public sealed class ReaderSearchTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Search_a_word_of_one_description_finds_exactly_that_event_and_a_prefix_finds_it_too(DatabaseProvider provider)
    {
        await using var store = await IndexedStoreAsync(provider);
        var target = Searchable(1, "acct", "removed the webhook Logging from Transactional");
        await store.InsertAsync([target, Searchable(2, "acct", "updated the user profile"), Searchable(3, "acct", "added a domain")]);

        (await SearchAsync(store, "Logging")).Should().Equal(target.Id);
        (await SearchAsync(store, "logg")).Should().Equal([target.Id], "a word typed so far matches the words it starts");
        (await SearchAsync(store, "LOGGING transactional")).Should().Equal([target.Id], "every word, ignoring case");
        (await SearchAsync(store, "logging profile")).Should().BeEmpty("every word must be there");
        (await SearchAsync(store, "ging")).Should().BeEmpty("words match from their start");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Actor_resource_related_resource_and_change_values_nested_or_not_are_found(DatabaseProvider provider)
    {
        await using var store = await IndexedStoreAsync(provider);
        var actor = Searchable(1, "acct", "did something", actor: new ActivityActor("user", 7, "Jane Doe"));
        var resource = Searchable(2, "acct", "did something", resource: new ActivityResource("webhook", "w1", "Billing hook"));
        var related = Searchable(3, "acct", "did something", related: [new ActivityResource("team", "t1", "Transactional")]);
        var change = Searchable(4, "acct", "did something", changes: [ActivityChange.Of("plan", "Bronze", "Platinum")]);
        var nested = Searchable(5, "acct", "did something", changes:
        [
            ActivityChange.Of("address", null, JsonNode.Parse("""{"city":"Lisbon","lines":["Rua Augusta",{"door":1234567}]}""")),
        ]);
        await store.InsertAsync([actor, resource, related, change, nested, Searchable(6, "acct", "did something")]);

        (await SearchAsync(store, "jane")).Should().Equal(actor.Id);
        (await SearchAsync(store, "billing")).Should().Equal(resource.Id);
        (await SearchAsync(store, "transactional")).Should().Equal(related.Id);
        (await SearchAsync(store, "bronze")).Should().Equal([change.Id], "the from value");
        (await SearchAsync(store, "platinum")).Should().Equal([change.Id], "the to value");
        (await SearchAsync(store, "lisbon")).Should().Equal(nested.Id);
        (await SearchAsync(store, "augusta")).Should().Equal([nested.Id], "inside an array");
        (await SearchAsync(store, "1234567")).Should().Equal([nested.Id], "a number inside an object inside an array");
        (await SearchAsync(store, "address")).Should().BeEmpty("field names are not values");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_masked_value_is_never_found_and_searching_the_mask_does_not_return_every_redacted_event(DatabaseProvider provider)
    {
        await using var store = await IndexedStoreAsync(provider);
        var redacted = Enumerable.Range(1, 5)
            .Select(i => Searchable(i, "acct", "updated the user profile", changes: [ActivityChange.Of("password", "[FILTERED]", "[FILTERED]")]))
            .ToList();
        await store.InsertAsync(redacted);

        (await SearchAsync(store, "FILTERED")).Should().BeEmpty();
        (await SearchAsync(store, "[FILTERED]")).Should().BeEmpty();
        (await SearchAsync(store, "profile")).Should().HaveCount(5, "the rest of a redacted event stays searchable");
    }

    [Fact]
    public void The_configured_mask_is_the_one_left_out()
    {
        var activityEvent = Searchable(1, "acct", "changed", changes: [ActivityChange.Of("pin", "***", "***"), ActivityChange.Of("note", "[FILTERED]", "kept")]);

        var row = StoredActivityLogEvent.FromActivityLogEvent(activityEvent, "***");

        row.SearchText.Should().Be("changed\nkept\n[FILTERED]", "only values equal to the configured mask are left out");
        StoredActivityLogEvent.FromActivityLogEvent(activityEvent).SearchText.Should().Be("changed\n***\n***\nkept");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Another_accounts_matching_events_never_appear(DatabaseProvider provider)
    {
        await using var store = await IndexedStoreAsync(provider);
        var mine = Searchable(1, "acct", "removed the webhook Logging");
        await store.InsertAsync([mine, Searchable(2, "other", "removed the webhook Logging"), Searchable(3, "third", "Logging")]);

        (await SearchAsync(store, "logging")).Should().Equal(mine.Id);
        (await SearchAsync(store, "logging", account: "nobody")).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Search_with_actor_and_time_filters_paged_by_cursor_returns_each_match_once_in_order(DatabaseProvider provider)
    {
        await using var store = await IndexedStoreAsync(provider);
        var random = new Random(14);
        var jane = new ActivityActor("user", 7, "Jane Doe");
        var john = new ActivityActor("user", 8, "John Doe");
        var events = Enumerable.Range(0, 120).Select(i => new ActivityLogEvent
        {
            Id = RandomId(random),
            Name = "activity_log.webhook.updated",
            Description = i % 3 == 0 ? "updated the webhook Logging" : "updated the webhook Billing",
            Actor = i % 2 == 0 ? jane : john,
            Timestamp = Base.AddSeconds(random.Next(0, 40)),
            AccountId = i % 5 == 0 ? "other" : "acct",
        }).ToList();
        await store.InsertAsync(events);
        var query = new ActivityLogQuery("acct")
        {
            Search = "logg", ActorType = "user", ActorId = "7", From = Base.AddSeconds(5), To = Base.AddSeconds(35), PageSize = 3,
        };
        var expected = events.Where(e => e.AccountId == "acct" && e.Description!.Contains("Logging", StringComparison.Ordinal) && e.Actor.Equals(jane) &&
            e.Timestamp >= Base.AddSeconds(5) && e.Timestamp < Base.AddSeconds(35)).ToList();
        expected.Count.Should().BeGreaterThan(6, "the test needs several pages");

        var pages = await store.Reader.ReadAllPagesAsync(query);

        pages.SelectMany(p => p.Events).Ids().Should().Equal(expected.NewestFirst().Ids());
        (await store.Reader.ReadAllAsync(query with { PageSize = null }).ToListAsync()).Ids().Should().Equal(expected.NewestFirst().Ids());
        var oldest = await store.Reader.ReadAllPagesAsync(query with { Order = ActivityLogOrder.OldestFirst });
        oldest.SelectMany(p => p.Events).Ids().Should().Equal(expected.OrderBy(e => e.Timestamp).ThenBy(e => e.Id).Ids());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Hostile_search_text_never_reaches_the_database_as_syntax(DatabaseProvider provider)
    {
        await using var store = await IndexedStoreAsync(provider);
        var plain = Searchable(1, "acct", "removed the webhook Logging");
        var percent = Searchable(2, "acct", "set the discount to 100% off_peak");
        await store.InsertAsync([plain, percent]);
        string[] nothing = ["\"", "*", "%", "_", "'", "\\", ":*", "&", "|", "!", "(", ")", "-", "^", "\"\"\"", "' OR ''='", "; DROP TABLE x; --", "😀", "\u200b"];

        foreach (string hostile in nothing)
        {
            (await SearchAsync(store, hostile)).Should().BeEmpty("{0} has no word, so it finds nothing (and never everything)", hostile);
        }

        (await SearchAsync(store, "AND")).Should().BeEmpty("AND is a word like any other, not an operator");
        (await SearchAsync(store, "NOT logging")).Should().BeEmpty("NOT is a word too");
        (await SearchAsync(store, "logging OR discount")).Should().BeEmpty("OR is a word too: no event has all three");
        (await SearchAsync(store, "\"logging\"")).Should().Equal(plain.Id);
        (await SearchAsync(store, "logging*")).Should().Equal(plain.Id);
        (await SearchAsync(store, "NEAR(logging webhook)")).Should().BeEmpty("NEAR is a word");
        (await SearchAsync(store, "webhook:logging")).Should().Equal(plain.Id);
        (await SearchAsync(store, "100%")).Should().Equal(percent.Id);
        (await SearchAsync(store, "off_peak")).Should().Equal(percent.Id);
        (await SearchAsync(store, new string('a', ActivityLogQuery.MaxSearchLength))).Should().BeEmpty();
        (await SearchAsync(store, string.Join(' ', Enumerable.Repeat("log", 49)) + "  ")).Should().Equal(plain.Id);
        (await SearchAsync(store, "   ")).Should().HaveCount(2, "white space searches nothing, so everything is listed");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Text_longer_than_the_limit_or_unstorable_is_refused_naming_the_field(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        string tooLong = new('a', ActivityLogQuery.MaxSearchLength + 1);

        foreach (var (query, field) in new[]
        {
            (new ActivityLogQuery("acct") { Search = tooLong }, "Search"),
            (new ActivityLogQuery("acct") { ResourceName = tooLong }, "ResourceName"),
            (new ActivityLogQuery("acct") { Search = "a\0b" }, "Search"),
            (new ActivityLogQuery("acct") { ResourceName = "a\ud800b" }, "ResourceName"),
        })
        {
            var read = () => store.Reader.ReadPageAsync(query);
            (await read.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain(field).And.NotContain("aaaaaaaaaa");
        }
    }

    [Fact]
    public async Task Without_the_FTS5_table_search_falls_back_to_a_substring_match_with_the_same_words()
    {
        // EnsureCreated only, as a host whose migrations left the FTS5 table out.
        await using var store = await ReadingTestStore.CreateAsync(DatabaseProvider.Sqlite);
        var target = Searchable(1, "acct", "removed the webhook Logging", actor: new ActivityActor("user", 7, "Jane Doe"));
        await store.InsertAsync([target, Searchable(2, "acct", "updated the user profile"), Searchable(3, "other", "Logging")]);

        (await SearchAsync(store, "logg jane")).Should().Equal(target.Id);
        (await SearchAsync(store, "\"")).Should().BeEmpty();
        (await SearchAsync(store, "100%")).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_FTS5_index_follows_deletes_and_updates(DatabaseProvider provider)
    {
        await using var store = await IndexedStoreAsync(provider);
        var kept = Searchable(1, "acct", "removed the webhook Logging");
        var deleted = Searchable(2, "acct", "removed the webhook Logging");
        var updated = Searchable(3, "acct", "removed the webhook Logging");
        await store.InsertAsync([kept, deleted, updated]);
        await using (var context = store.NewContext())
        {
            await context.Set<StoredActivityLogEvent>().Where(e => e.Id == deleted.Id).ExecuteDeleteAsync();
            await context.Set<StoredActivityLogEvent>().Where(e => e.Id == updated.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.SearchText, "renamed"));
        }

        (await SearchAsync(store, "logging")).Should().Equal(kept.Id);
        (await SearchAsync(store, "renamed")).Should().Equal(updated.Id);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task ResourceName_matches_text_it_contains_ignoring_case_and_wildcards_are_plain_characters(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var logging = Searchable(1, "acct", "x", resource: new ActivityResource("webhook", "1", "Logging"));
        var percent = Searchable(2, "acct", "x", resource: new ActivityResource("webhook", "2", "100% off_peak"));
        var other = Searchable(3, "other", "x", resource: new ActivityResource("webhook", "3", "Logging"));
        await store.InsertAsync([logging, percent, other, Searchable(4, "acct", "x")]);

        async Task<List<Guid>> Named(string name) =>
            [.. (await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { ResourceName = name })).Events.Ids()];

        (await Named("OGGI")).Should().Equal(logging.Id);
        (await Named(" logging ")).Should().Equal([logging.Id], "surrounding white space is trimmed");
        (await Named("%")).Should().Equal([percent.Id], "% is a character, not a wildcard");
        (await Named("f_p")).Should().Equal([percent.Id], "_ is a character, not a wildcard");
        (await Named("o_p")).Should().BeEmpty();
        (await Named("'")).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task OldestFirst_pages_oldest_to_newest_and_a_cursor_of_the_other_order_is_refused(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(15);
        var events = Enumerable.Range(0, 100).Select(_ => Event(RandomId(random), "acct", Base.AddSeconds(random.Next(0, 15)))).ToList();
        await store.InsertAsync(events.Concat(Enumerable.Range(0, 20).Select(_ => Event(RandomId(random), "other", Base.AddSeconds(random.Next(0, 15))))));
        var oldestFirst = events.OrderBy(e => e.Timestamp).ThenBy(e => e.Id).Ids().ToList();
        var query = new ActivityLogQuery("acct") { Order = ActivityLogOrder.OldestFirst, PageSize = 7 };

        var pages = await store.Reader.ReadAllPagesAsync(query);
        (await store.Reader.ReadAllAsync(query).ToListAsync()).Ids().Should().Equal(oldestFirst);
        (await store.Reader.ReadAllAsync(new ActivityLogQuery("acct")).ToListAsync()).Ids().Should().Equal(events.NewestFirst().Ids());

        pages.SelectMany(p => p.Events).Ids().Should().Equal(oldestFirst);
        string newestCursor = (await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 7 })).NextCursor!;
        var mixed = () => store.Reader.ReadPageAsync(query with { Cursor = newestCursor });
        (await mixed.Should().ThrowAsync<ArgumentException>()).WithMessage("The activity log cursor is invalid*NewestFirst*OldestFirst*");
        var back = () => store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { Cursor = pages[0].NextCursor });
        await back.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public void A_version_1_cursor_still_reads_as_newest_first()
    {
        var position = new KeysetPosition(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(1234567), Guid.Parse("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"));
        var bytes = new byte[29];
        bytes[0] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), position.OccurredAt.Ticks);
        position.Id.TryWriteBytes(bytes.AsSpan(9, 16), bigEndian: true, out _);
        System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, 25)).AsSpan(0, 4).CopyTo(bytes.AsSpan(25));

        ActivityLogCursor.Decode(System.Buffers.Text.Base64Url.EncodeToString(bytes)).Should().Be((position, ActivityLogOrder.NewestFirst));
    }

    /// <summary>A store whose schema went through the initializer, so SQLite has its FTS5 table (PostgreSQL's tsvector is in the model).</summary>
    private static async Task<ReadingTestStore> IndexedStoreAsync(DatabaseProvider provider)
    {
        var store = await ReadingTestStore.CreateAsync(provider);
        await using var context = store.NewContext();
        await ActivityLogSchemaInitializer<ReadingTestContext>.EnsureSchemaAsync(context, NullLogger.Instance, CancellationToken.None);
        var index = await new ActivityLogSearchIndex(NullLogger<ActivityLogSearchIndex>.Instance).FindAsync(context, CancellationToken.None);
        index.Should().Be(provider == DatabaseProvider.Sqlite ? SearchIndexKind.Fts5 : SearchIndexKind.TsVector);
        return store;
    }

    private static async Task<List<Guid>> SearchAsync(ReadingTestStore store, string search, string account = "acct") =>
        [.. (await store.Reader.ReadAllAsync(new ActivityLogQuery(account) { Search = search }).ToListAsync()).Ids()];

    private static ActivityLogEvent Searchable(
        int second,
        string account,
        string description,
        ActivityActor actor = default,
        ActivityResource? resource = null,
        IReadOnlyList<ActivityResource>? related = null,
        IReadOnlyList<ActivityChange>? changes = null) =>
        new()
        {
            Id = Guid.CreateVersion7(Base.AddSeconds(second)),
            Name = "activity_log.webhook.updated",
            Description = description,
            Actor = actor,
            Resource = resource,
            RelatedResources = related ?? [],
            Changes = changes ?? [],
            Timestamp = Base.AddSeconds(second),
            AccountId = account,
        };
}

using ActivityLog.EntityFrameworkCore.Tests.Support;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>
/// One seeded activity log per engine (several accounts, look-alike names and ids, many events sharing a time), read
/// through every filter alone and combined. Each result is compared with the same filter applied in memory, in the
/// page's order, read page by page through the cursor and as a stream.
/// </summary>
public sealed class ReaderFilterTests(ReaderFilterTests.SeededStores stores) : IClassFixture<ReaderFilterTests.SeededStores>
{
    private const int PageSize = 7;

    private static readonly DateTimeOffset At10 = Base.AddMinutes(10);
    private static readonly DateTimeOffset At20 = Base.AddMinutes(20);
    private static readonly DateTimeOffset At30 = Base.AddMinutes(30);
    private static readonly DateTimeOffset At40 = Base.AddMinutes(40);
    private static readonly DateTimeOffset At60 = Base.AddMinutes(60);
    private static readonly DateTimeOffset At100 = Base.AddMinutes(100);

    private static readonly string[] Names =
    [
        "activity_log.user.created",
        "activity_log.user.updated",
        "activity_log.user.deleted",
        "activity_log.user_role.created",  // starts with "activity_log.user" but not "activity_log.user."
        "activity_log.userxrole.created",  // matches "activity_log.user_role." only if '_' were a wildcard
        "activity_log.users.updated",
        "activityxlog.user.created",       // matches "activity_log.user." only if '_' were a wildcard
        "activity_log.webhook.deleted",
        "activity_log.webhook.created",
        "activity_log.domain.created",
    ];

    private static readonly ActivityActor[] Actors =
    [
        ActivityActor.User(1, "John Doe"),
        ActivityActor.User(2, "Jane Doe"),
        ActivityActor.ApiToken(1, "CI token"),  // same id as user 1, another actor
        ActivityActor.System("Nightly cleanup"),
        ActivityActor.Unknown,
    ];

    private static readonly ActivityResource?[] Resources =
    [
        new ActivityResource("user", 1, "John Doe"),
        new ActivityResource("webhook", 7, "Logging"),
        new ActivityResource("domain", 7, "example.com"),  // same id as webhook 7, another resource
        new ActivityResource("webhook", 8, "Alerts"),
        null,
    ];

    private static readonly Dictionary<string, FilterCase> Cases = new()
    {
        ["account only"] = new(new ActivityLogQuery("acct-a"), e => e.AccountId == "acct-a"),
        ["another account"] = new(new ActivityLogQuery("acct-b"), e => e.AccountId == "acct-b"),
        ["account id with an underscore"] = new(new ActivityLogQuery("acct_1"), e => e.AccountId == "acct_1"),
        ["account id in another case"] = new(new ActivityLogQuery("ACCT-A"), e => false, ExpectEmpty: true),
        ["actor type"] = new(new ActivityLogQuery("acct-a") { ActorType = "user" }, e => e.AccountId == "acct-a" && e.Actor.Type == "user"),
        ["actor"] = new(
            new ActivityLogQuery("acct-a") { ActorType = "user", ActorId = "1" },
            e => e.AccountId == "acct-a" && e.Actor.Type == "user" && e.Actor.Id == "1"),
        ["actor of another type with the same id"] = new(
            new ActivityLogQuery("acct-a") { ActorType = "api_token", ActorId = "1" },
            e => e.AccountId == "acct-a" && e.Actor.Type == "api_token" && e.Actor.Id == "1"),
        ["system actor"] = new(new ActivityLogQuery("acct-a") { ActorType = "system" }, e => e.AccountId == "acct-a" && e.Actor.Type == "system"),
        ["unknown actor"] = new(new ActivityLogQuery("acct-a") { ActorType = "unknown" }, e => e.AccountId == "acct-a" && e.Actor.IsUnknown),
        ["resource type"] = new(
            new ActivityLogQuery("acct-a") { ResourceType = "webhook" }, e => e.AccountId == "acct-a" && e.Resource?.Type == "webhook"),
        ["resource"] = new(
            new ActivityLogQuery("acct-a") { ResourceType = "webhook", ResourceId = "7" },
            e => e.AccountId == "acct-a" && e.Resource?.Type == "webhook" && e.Resource?.Id == "7"),
        ["resource of another type with the same id"] = new(
            new ActivityLogQuery("acct-a") { ResourceType = "domain", ResourceId = "7" },
            e => e.AccountId == "acct-a" && e.Resource?.Type == "domain" && e.Resource?.Id == "7"),
        ["exact names"] = new(
            new ActivityLogQuery("acct-a") { EventNames = ["activity_log.user.created", "activity_log.webhook.deleted"] },
            e => e.AccountId == "acct-a" && e.Name is "activity_log.user.created" or "activity_log.webhook.deleted"),
        ["prefix"] = new(
            new ActivityLogQuery("acct-a") { EventNames = ["activity_log.user.*"] },
            e => e.AccountId == "acct-a" && e.Name.StartsWith("activity_log.user.", StringComparison.Ordinal)),
        // A wildcard is a whole segment now (activity_log.user_* is refused); '_' inside the prefix must still be literal.
        ["prefix with an underscore"] = new(
            new ActivityLogQuery("acct-a") { EventNames = ["activity_log.user_role.*"] },
            e => e.AccountId == "acct-a" && e.Name.StartsWith("activity_log.user_role.", StringComparison.Ordinal)),
        ["two prefixes"] = new(
            new ActivityLogQuery("acct-a") { EventNames = ["activity_log.user.*", "activity_log.webhook.*"] },
            e => e.AccountId == "acct-a" &&
                (e.Name.StartsWith("activity_log.user.", StringComparison.Ordinal) || e.Name.StartsWith("activity_log.webhook.", StringComparison.Ordinal))),
        ["prefix and exact name"] = new(
            new ActivityLogQuery("acct-a") { EventNames = ["activity_log.user.*", "activity_log.domain.created"] },
            e => e.AccountId == "acct-a" &&
                (e.Name.StartsWith("activity_log.user.", StringComparison.Ordinal) || e.Name == "activity_log.domain.created")),
        ["star matches every name"] = new(new ActivityLogQuery("acct-a") { EventNames = ["*"] }, e => e.AccountId == "acct-a"),
        ["empty name list matches every name"] = new(new ActivityLogQuery("acct-a") { EventNames = [] }, e => e.AccountId == "acct-a"),
        ["from is inclusive"] = new(
            new ActivityLogQuery("acct-a") { From = At30 }, e => e.AccountId == "acct-a" && e.Timestamp >= At30, MustInclude: At30),
        ["to is exclusive"] = new(
            new ActivityLogQuery("acct-a") { To = At30 }, e => e.AccountId == "acct-a" && e.Timestamp < At30, MustExclude: At30),
        ["time range"] = new(
            new ActivityLogQuery("acct-a") { From = At20, To = At40 },
            e => e.AccountId == "acct-a" && e.Timestamp >= At20 && e.Timestamp < At40, MustInclude: At20, MustExclude: At40),
        ["time range in another offset"] = new(
            new ActivityLogQuery("acct-a") { From = At20.ToOffset(TimeSpan.FromHours(2)), To = At40.ToOffset(TimeSpan.FromHours(-5)) },
            e => e.AccountId == "acct-a" && e.Timestamp >= At20 && e.Timestamp < At40),
        ["empty time range"] = new(new ActivityLogQuery("acct-a") { From = At30, To = At30 }, e => false, ExpectEmpty: true),
        ["actor, prefix and time range"] = new(
            new ActivityLogQuery("acct-a") { ActorType = "user", ActorId = "1", EventNames = ["activity_log.user.*"], From = At10, To = At100 },
            e => e.AccountId == "acct-a" && e.Actor.Type == "user" && e.Actor.Id == "1" &&
                e.Name.StartsWith("activity_log.user.", StringComparison.Ordinal) && e.Timestamp >= At10 && e.Timestamp < At100),
        ["resource, exact name and from"] = new(
            new ActivityLogQuery("acct-a") { ResourceType = "webhook", EventNames = ["activity_log.webhook.deleted"], From = At60 },
            e => e.AccountId == "acct-a" && e.Resource?.Type == "webhook" && e.Name == "activity_log.webhook.deleted" && e.Timestamp >= At60),
        ["every filter"] = new(
            new ActivityLogQuery("acct-b")
            {
                ActorType = "user", ActorId = "2", ResourceType = "user", ResourceId = "1",
                EventNames = ["activity_log.user.*", "activity_log.users.updated"], From = At10, To = At100,
            },
            e => e.AccountId == "acct-b" && e.Actor.Type == "user" && e.Actor.Id == "2" && e.Resource?.Type == "user" && e.Resource?.Id == "1" &&
                (e.Name.StartsWith("activity_log.user.", StringComparison.Ordinal) || e.Name == "activity_log.users.updated") &&
                e.Timestamp >= At10 && e.Timestamp < At100),
    };

    public static TheoryData<DatabaseProvider, string> ProvidersAndCases
    {
        get
        {
            var data = new TheoryData<DatabaseProvider, string>();
            foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql })
            {
                foreach (string name in Cases.Keys)
                {
                    data.Add(provider, name);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ProvidersAndCases))]
    public async Task Filter_returns_exactly_the_matching_events_of_the_account_newest_first(DatabaseProvider provider, string caseName)
    {
        var store = stores[provider];
        var filter = Cases[caseName];
        var expected = stores.Events.Where(filter.Matches).NewestFirst();
        if (filter.ExpectEmpty)
        {
            expected.Should().BeEmpty();
        }
        else
        {
            // A case that matched nothing would prove nothing.
            expected.Should().NotBeEmpty("the seed data must exercise the case '{0}'", caseName);
            expected.Count.Should().BeLessThan(stores.Events.Count);
        }

        if (filter.MustInclude is { } included)
        {
            expected.Should().Contain(e => e.Timestamp == included, "the seed data holds events exactly at the inclusive bound");
        }

        if (filter.MustExclude is { } excluded)
        {
            stores.Events.Should().Contain(e => e.AccountId == filter.Query.AccountId && e.Timestamp == excluded, "the seed data holds events exactly at the exclusive bound");
        }

        var query = filter.Query with { PageSize = PageSize };
        var pages = await store.Reader.ReadAllPagesAsync(query);
        var paged = pages.SelectMany(p => p.Events).ToList();

        paged.Ids().Should().Equal(expected.Ids(), "case '{0}' read page by page", caseName);
        paged.Where(e => e.AccountId != filter.Query.AccountId).Should().BeEmpty("a reader never returns another account's events");
        pages.SkipLast(1).Where(p => p.Events.Count != PageSize || p.NextCursor is null).Should().BeEmpty("every page but the last is full and has a next cursor");
        pages[^1].NextCursor.Should().BeNull();
        pages[^1].Events.Count.Should().BeLessThanOrEqualTo(PageSize);

        var streamed = await store.Reader.ReadAllAsync(filter.Query).ToListAsync();
        streamed.Ids().Should().Equal(expected.Ids(), "case '{0}' read as a stream", caseName);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Read_events_carry_what_was_stored(DatabaseProvider provider)
    {
        var store = stores[provider];
        var page = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct-b") { PageSize = 500 });

        var byId = stores.Events.ToDictionary(e => e.Id);
        page.Events.Should().NotBeEmpty();
        foreach (var read in page.Events)
        {
            var seeded = byId[read.Id];
            read.Name.Should().Be(seeded.Name);
            read.Timestamp.Should().Be(seeded.Timestamp);
            read.Actor.Should().Be(seeded.Actor);
            read.Actor.HasNumericId.Should().Be(seeded.Actor.HasNumericId);
            read.Resource.Should().Be(seeded.Resource);
            read.AccountId.Should().Be("acct-b");
            read.Description.Should().Be(seeded.Description);
        }
    }

    /// <summary>A query, the same filter in memory, and the bounds the seed data must contain for the case to mean something.</summary>
    public sealed record FilterCase(
        ActivityLogQuery Query,
        Func<ActivityLogEvent, bool> Matches,
        bool ExpectEmpty = false,
        DateTimeOffset? MustInclude = null,
        DateTimeOffset? MustExclude = null);

    /// <summary>The same seeded activity log in a SQLite file and in a PostgreSQL database.</summary>
    public sealed class SeededStores : IAsyncLifetime
    {
        private readonly Dictionary<DatabaseProvider, ReadingTestStore> _stores = [];

        public List<ActivityLogEvent> Events { get; } = Seed();

        public ReadingTestStore this[DatabaseProvider provider] => _stores[provider];

        public async Task InitializeAsync()
        {
            foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql })
            {
                // A small maximum page makes the stream read several pages.
                var store = await ReadingTestStore.CreateAsync(provider, o =>
                {
                    o.DefaultPageSize = 10;
                    o.MaxPageSize = 25;
                });
                _stores[provider] = store;
                await store.InsertAsync(Events);
            }
        }

        public async Task DisposeAsync()
        {
            foreach (var store in _stores.Values)
            {
                await store.DisposeAsync();
            }
        }

        private static List<ActivityLogEvent> Seed()
        {
            var random = new Random(20261125);
            var events = new List<ActivityLogEvent>();
            void Add(string? account, int count)
            {
                for (int i = 0; i < count; i++)
                {
                    // 120 distinct minutes for hundreds of events: many share a time, so ties are broken by id.
                    var at = Base.AddMinutes(random.Next(0, 120));
                    events.Add(Event(
                        RandomId(random),
                        account,
                        at,
                        Names[random.Next(Names.Length)],
                        Actors[random.Next(Actors.Length)],
                        Resources[random.Next(Resources.Length)]));
                }
            }

            Add("acct-a", 600);
            Add("acct-b", 400);
            Add("acct_1", 40);
            Add("acctx1", 40);
            Add(null, 20);
            return events;
        }
    }
}

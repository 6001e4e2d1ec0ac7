using ActivityLog.EntityFrameworkCore.Reading;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>Bad queries and bad cursors fail with a clear <see cref="ArgumentException"/>, before any database work.</summary>
public sealed class ReaderQueryValidationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_query_without_an_account_cannot_be_created(string? accountId)
    {
        var act = () => new ActivityLogQuery(accountId!);

        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_query_whose_account_was_removed_throws(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        await store.InsertAsync([Event(Guid.NewGuid(), "acct", Base)]);

        foreach (string? missing in new[] { null, "", " " })
        {
            var query = new ActivityLogQuery("acct") with { AccountId = missing! };
            var page = () => store.Reader.ReadPageAsync(query);
            var stream = () => store.Reader.ReadAllAsync(query);

            (await page.Should().ThrowAsync<ArgumentException>()).WithMessage("*needs an account id*");
            stream.Should().Throw<ArgumentException>("the stream checks its query when called, not when enumerated")
                .WithMessage("*needs an account id*");
        }
    }

    public static TheoryData<string, string> BadQueries => new()
    {
        { "actor id without type", "*actor type*" },
        { "resource id without type", "*resource type*" },
        { "from after to", "*is after*" },
        { "page size zero", "*at least one*" },
        { "negative page size", "*at least one*" },
        { "upper case name", "*contains 'U'*" },
        { "percent in name", "*contains '%'*" },
        { "star inside a name", "*contains '*'*" },
        { "empty name", "*empty*" },
        { "too many names", "*at most 100*" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_malformed_query_throws_a_clear_argument_exception(string caseName, string message)
    {
        var query = new ActivityLogQuery("acct");
        query = caseName switch
        {
            "actor id without type" => query with { ActorId = "1" },
            "resource id without type" => query with { ResourceId = "7" },
            "from after to" => query with { From = Base.AddSeconds(1), To = Base },
            "page size zero" => query with { PageSize = 0 },
            "negative page size" => query with { PageSize = -5 },
            "upper case name" => query with { EventNames = ["activity_log.User.*"] },
            "percent in name" => query with { EventNames = ["activity_log.%"] },
            "star inside a name" => query with { EventNames = ["activity_log.*.created"] },
            "empty name" => query with { EventNames = ["activity_log.user.created", ""] },
            "too many names" => query with { EventNames = Enumerable.Range(0, 101).Select(i => $"activity_log.user.v{i}").ToList() },
            _ => throw new ArgumentOutOfRangeException(nameof(caseName)),
        };

        // A SQLite store is enough: validation happens before the database is touched.
        await using var store = await ReadingTestStore.CreateAsync(DatabaseProvider.Sqlite);
        var read = () => store.Reader.ReadPageAsync(query);

        (await read.Should().ThrowAsync<ArgumentException>(caseName)).WithMessage(message);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_tampered_or_garbage_cursor_throws_a_clear_argument_exception(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var random = new Random(21);
        await store.InsertAsync(Enumerable.Range(0, 10).Select(i => Event(RandomId(random), "acct", Base.AddSeconds(i))));
        string cursor = (await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { PageSize = 3 })).NextCursor!;

        var bad = new List<string>
        {
            "garbage",
            "not a cursor at all, but quite long and full of spaces and punctuation!!",
            cursor[..^1],                                   // truncated
            cursor + "A",                                   // extended
            cursor.ToUpperInvariant(),                      // re-cased
            cursor + "=",                                   // padded
            new string('A', cursor.Length),                 // right length, zero bytes
            Tamper(cursor, 5),                              // one character of the time changed
            Tamper(cursor, 20),                             // one character of the id changed
            Tamper(cursor, cursor.Length - 1),              // the last character changed
            WithVersion(cursor, 3),                         // a future version, with a valid checksum
        };

        foreach (string tampered in bad.Where(c => c != cursor))
        {
            var read = () => store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { Cursor = tampered });
            var assertion = await read.Should().ThrowAsync<ArgumentException>("cursor {0}", tampered);
            assertion.WithMessage("The activity log cursor is invalid*");
            assertion.Which.Message.Should().NotContain(tampered, "a client's input is not echoed");
        }

        var valid = await store.Reader.ReadPageAsync(new ActivityLogQuery("acct") { Cursor = cursor, PageSize = 3 });
        valid.Events.Should().HaveCount(3);
    }

    [Fact]
    public void An_empty_cursor_means_the_first_page()
    {
        var plan = ActivityLogReadPlan.Create(new ActivityLogQuery("acct") { Cursor = "" }, new ActivityLogStoreOptions());

        plan.Start.Should().BeNull();
    }

    [Fact]
    public void A_cursor_round_trips_its_position_to_the_tick()
    {
        var positions = new[]
        {
            new KeysetPosition(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(1234567), Guid.Parse("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b")),
            new KeysetPosition(DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), Guid.Empty),
            new KeysetPosition(DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc), Guid.AllBitsSet),
        };

        foreach (var position in positions)
        {
            foreach (var order in Enum.GetValues<ActivityLogOrder>())
            {
                string cursor = ActivityLogCursor.Encode(position, order);
                cursor.Should().MatchRegex("^[A-Za-z0-9_-]+$", "a cursor travels in URLs unescaped");
                ActivityLogCursor.Decode(cursor).Should().Be((position, order));
            }
        }
    }

    private static string Tamper(string cursor, int index)
    {
        char replacement = cursor[index] == 'A' ? 'B' : 'A';
        return string.Concat(cursor.AsSpan(0, index), replacement.ToString(), cursor.AsSpan(index + 1));
    }

    // Rebuilds the cursor with another version byte and a matching checksum: what a future format would look like.
    private static string WithVersion(string cursor, byte version)
    {
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(cursor);
        bytes[0] = version;
        var hash = System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 4));
        hash.AsSpan(0, 4).CopyTo(bytes.AsSpan(bytes.Length - 4));
        return System.Buffers.Text.Base64Url.EncodeToString(bytes);
    }
}

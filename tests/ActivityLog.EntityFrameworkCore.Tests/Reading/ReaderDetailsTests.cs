using ActivityLog.EntityFrameworkCore.Tests.Support;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>The reads behind the page's details and filter choices, confined to one account on SQLite and PostgreSQL.</summary>
public sealed class ReaderDetailsTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task One_event_reads_by_id_in_its_account_only(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        var mine = Event(Guid.CreateVersion7(), "acct-a", Base, resource: new ActivityResource("webhook", "w1", "Logging"));
        var theirs = Event(Guid.CreateVersion7(), "acct-b", Base);
        await store.InsertAsync([mine, theirs]);

        (await store.Reader.GetEventAsync("acct-a", mine.Id))!.Resource!.Value.Name.Should().Be("Logging");
        (await store.Reader.GetEventAsync("acct-a", theirs.Id)).Should().BeNull("another account's event reads as missing");
        (await store.Reader.GetEventAsync("acct-a", Guid.NewGuid())).Should().BeNull();
        await store.Invoking(s => s.Reader.GetEventAsync(" ", mine.Id)).Should().ThrowAsync<ArgumentException>();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Filter_choices_name_the_accounts_actors_with_their_newest_name_types_and_event_names_only(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider);
        await store.InsertAsync(
        [
            Event(Guid.CreateVersion7(), "acct-a", Base, "activity_log.user.updated", ActivityActor.User(7, "Jane"), new ActivityResource("user", "7", "Jane")),
            Event(Guid.CreateVersion7(), "acct-a", Base.AddMinutes(1), "activity_log.webhook.removed", ActivityActor.User(7, "Jane Doe"), new ActivityResource("webhook", "w1", "Logging")),
            Event(Guid.CreateVersion7(), "acct-a", Base.AddMinutes(2), "activity_log.user.login_failed", ActivityActor.Unknown, new ActivityResource("user", "7", "Jane")),
            Event(Guid.CreateVersion7(), "acct-a", Base.AddMinutes(3), "activity_log.domain.added", ActivityActor.ApiToken("tok_1", "Deploy bot")),
            Event(Guid.CreateVersion7(), "acct-b", Base, "activity_log.sandbox.deleted", ActivityActor.User(9, "Mallory"), new ActivityResource("sandbox", "s1", "QA")),
        ]);

        var facets = await store.Reader.ReadFacetsAsync("acct-a");
        facets.Actors.Select(a => (a.Type, a.Id, a.Name)).Should().Equal(("api_token", "tok_1", "Deploy bot"), ("user", "7", "Jane Doe"));
        facets.Actors[1].HasNumericId.Should().BeTrue("a numeric id reads back as a number");
        facets.ResourceTypes.Should().Equal("user", "webhook");
        facets.EventNames.Should().Equal("activity_log.domain.added", "activity_log.user.login_failed", "activity_log.user.updated", "activity_log.webhook.removed");
        facets.IsTruncated.Should().BeFalse();

        var cut = await store.Reader.ReadFacetsAsync("acct-a", limit: 1);
        (cut.Actors.Count, cut.ResourceTypes.Count, cut.EventNames.Count, cut.IsTruncated).Should().Be((1, 1, 1, true));
        (await store.Reader.ReadFacetsAsync("acct-c")).Actors.Should().BeEmpty();
    }
}

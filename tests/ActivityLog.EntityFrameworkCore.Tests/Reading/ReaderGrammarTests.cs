using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Naming;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>
/// The reader's event filter is the one grammar (<see cref="ActivityEventName"/>): on SQLite and PostgreSQL it returns
/// exactly the events the in-memory <c>Matches</c> (the webhooks' and templates' rule) accepts, and refuses what
/// webhooks and templates refuse, with the same grammar in the message.
/// </summary>
public sealed class ReaderGrammarTests(ReaderFilterTests.SeededStores stores) : IClassFixture<ReaderFilterTests.SeededStores>
{
    public static TheoryData<DatabaseProvider, string> ProvidersAndPatterns
    {
        get
        {
            var data = new TheoryData<DatabaseProvider, string>();
            foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql })
            {
                foreach (string pattern in new[] { "*", "activity_log.*", "activity_log.user.*", "activity_log.user_role.*", "activity_log.user.updated" })
                {
                    data.Add(provider, pattern);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ProvidersAndPatterns))]
    public async Task A_pattern_reads_exactly_the_events_the_grammar_matches(DatabaseProvider provider, string pattern)
    {
        var expected = stores.Events.Where(e => e.AccountId == "acct-a" && ActivityEventName.Matches(pattern, e.Name)).NewestFirst();
        expected.Should().NotBeEmpty("the seed data must exercise '{0}'", pattern);

        var pages = await stores[provider].Reader.ReadAllPagesAsync(new ActivityLogQuery("acct-a") { EventNames = [pattern], PageSize = 50 });

        pages.SelectMany(p => p.Events).Ids().Should().Equal(expected.Ids());
    }

    public static TheoryData<DatabaseProvider, string> ProvidersAndBadPatterns
    {
        get
        {
            var data = new TheoryData<DatabaseProvider, string>();
            foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql })
            {
                foreach (string pattern in new[] { "activity_log.us*", "activity_log.user_*", "activity_log.*.created", "activity_log.user", "Activity_log.user.*" })
                {
                    data.Add(provider, pattern);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ProvidersAndBadPatterns))]
    public async Task A_pattern_webhooks_refuse_is_refused_by_the_reader_the_same_way(DatabaseProvider provider, string pattern)
    {
        var read = () => stores[provider].Reader.ReadPageAsync(new ActivityLogQuery("acct-a") { EventNames = ["activity_log.user.created", pattern] });

        var refused = (await read.Should().ThrowAsync<ArgumentException>()).Which;
        refused.ParamName.Should().Be("query");
        refused.Message.Should().Contain("ActivityLogQuery.EventNames[1]").And.Contain($"'{pattern}'").And.Contain(ActivityEventName.PatternGrammar);
        ActivityEventName.TryParsePattern(pattern, out _, out _).Should().BeFalse("the templates and webhooks use the same parser");
    }

    [Theory]
    [InlineData("User Profile")]
    [InlineData("user.profile")]
    public async Task A_type_Record_would_refuse_is_refused_as_a_filter(string type)
    {
        var byResource = () => stores[DatabaseProvider.Sqlite].Reader.ReadPageAsync(new ActivityLogQuery("acct-a") { ResourceType = type });
        var byActor = () => stores[DatabaseProvider.Sqlite].Reader.ReadPageAsync(new ActivityLogQuery("acct-a") { ActorType = type });

        (await byResource.Should().ThrowAsync<ArgumentException>()).WithMessage("*ResourceType*lower snake_case*");
        (await byActor.Should().ThrowAsync<ArgumentException>()).WithMessage("*ActorType*lower snake_case*");
    }
}

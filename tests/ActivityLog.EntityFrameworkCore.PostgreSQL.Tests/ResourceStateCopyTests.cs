using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
using ActivityLog.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using static ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support.StoreServices;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests;

/// <summary>
/// A resource's state from rows the COPY writer wrote (jsonb changes, times cut to microseconds): the reader's own
/// one-query fold gives the fold of the same processed events, redacted values included.
/// </summary>
public sealed class ResourceStateCopyTests
{
    [Fact]
    public async Task The_state_of_a_copied_history_is_the_fold_of_the_same_events_at_every_event_time()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "copy_state");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var services = Create<PgStoreContext>(database);
        var webhook = new ActivityResource("webhook", "wh-1", "Logging");
        var written = await ProcessAsync(services, Enumerable.Range(0, 1200).Select(i => new ActivityLogEvent
        {
            Name = i == 0 ? "activity_log.webhook.created" : "activity_log.webhook.updated",
            Actor = ActivityActor.User(783, "Jane Doe"),
            Resource = webhook,
            Changes = i == 0
                ? [ActivityChange.Of("url", null, "https://a.example"), ActivityChange.Of("secret", null, "s-0"), ActivityChange.Of("enabled", null, true)]
                : [ActivityChange.Of(i % 3 == 0 ? "enabled" : "url", null, i % 3 == 0 ? i % 2 == 0 : $"https://a.example/{i}"), ActivityChange.Of("secret", $"s-{i - 1}", $"s-{i}")],
            // 1.3 µs apart: every stored time is cut to the microsecond, and no two share one.
            Timestamp = Now.AddTicks(i * 13),
            AccountId = "acct-1",
        }));
        await Sink(services).WriteBatchAsync(written, CancellationToken.None);
        var reader = services.GetRequiredService<IActivityLogReader>();

        foreach (int k in new[] { 0, 1, 499, 500, 501, 1199 })
        {
            var at = written[k].Timestamp;
            var expected = new ActivityResourceStateBuilder("webhook", "wh-1", at);
            foreach (var activity in written.Take(k + 1))
            {
                expected.Apply(activity);
            }

            var folded = expected.Build();
            var state = await reader.GetResourceStateAsync("acct-1", "webhook", "wh-1", at);
            (state.EventCount, state.SeenCreated, state.LastEvent!.Id).Should().Be((k + 1, true, written[k].Id), $"at event {k}, its own time included");
            Values(state).Should().BeEquivalentTo(Values(folded));
            Values(state)["secret"].Should().Be("\"[FILTERED]\"", "a redacted value stays as the store holds it");
            state.LastEvent.Actor.Name.Should().Be("Jane Doe", "the newest event is returned whole");
        }
    }

    private static Dictionary<string, string> Values(ActivityResourceState state) =>
        state.Fields.ToDictionary(f => f.Key, f => ActivityJsonSerializer.SerializeValue(f.Value), StringComparer.Ordinal);
}

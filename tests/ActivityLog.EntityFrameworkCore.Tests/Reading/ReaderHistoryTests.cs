using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>
/// The EF reader's own <see cref="IActivityLogReader.GetResourceStateAsync"/> (one query, a light fold) gives what the
/// interface's default gives (pages of <c>ReadAllAsync</c>) and what folding the same events in memory gives, on SQLite
/// and PostgreSQL: over more events than one page, with a deletion and a re-creation, at and between event times.
/// </summary>
public sealed class ReaderHistoryTests
{
    private const string Type = "order";
    private const string Id = "ord-1";

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_store_state_equals_the_default_fold_and_the_fold_of_the_same_events(DatabaseProvider provider)
    {
        await using var store = await ReadingTestStore.CreateAsync(provider, o => o.MaxPageSize = 100);
        var random = new Random(14);
        var order = new ActivityResource(Type, Id, "Order 1");
        var history = new List<ActivityLogEvent>();
        var others = new List<ActivityLogEvent>();
        for (int i = 0; i < 260; i++)
        {
            string verb = i switch { 0 => "created", 200 => "deleted", 201 => "created", _ => "updated" };
            var at = Base.AddSeconds(i);
            history.Add(new ActivityLogEvent
            {
                Id = Guid.CreateVersion7(at),
                Name = $"activity_log.order.{verb}",
                Description = $"{verb} the order",
                Actor = ActivityActor.User(1 + (i % 3), $"User {1 + (i % 3)}"),
                Resource = order,
                Changes = verb == "deleted" ? [] :
                [
                    new("status", null, $"status-{random.Next(5)}"),
                    new(i % 2 == 0 ? "total" : "items", random.Next(100), random.Next(100)),
                    new("email", "[FILTERED]", "[FILTERED]"),
                ],
                Timestamp = at,
                AccountId = "acct-a",
                Metadata = new Dictionary<string, object?> { ["step"] = i },
            });

            // Other resources, the same id in another type, and the same resource in another account: never folded in.
            others.Add(Event(Guid.CreateVersion7(at), "acct-a", at, "activity_log.order.updated", resource: new ActivityResource(Type, "ord-2")));
            others.Add(Event(Guid.CreateVersion7(at), "acct-a", at, "activity_log.invoice.updated", resource: new ActivityResource("invoice", Id)));
            others.Add(Event(Guid.CreateVersion7(at), "acct-b", at, "activity_log.order.updated", resource: order));
        }

        await store.InsertAsync(history.Concat(others));
        var reader = store.Reader;
        IActivityLogReader defaults = new InterfaceDefaults(reader);
        DateTimeOffset[] points = [Base.AddSeconds(-1), Base, Base.AddSeconds(99.5), Base.AddSeconds(200), Base.AddSeconds(201), Base.AddSeconds(259), Base.AddDays(1)];
        foreach (var at in points)
        {
            var expected = new ActivityResourceStateBuilder(Type, Id, at);
            foreach (var activity in history.Where(e => e.Timestamp <= at))
            {
                expected.Apply(activity);
            }

            var folded = expected.Build();
            var state = await reader.GetResourceStateAsync("acct-a", Type, Id, at);
            var byDefault = await defaults.GetResourceStateAsync("acct-a", Type, Id, at);
            foreach (var other in new[] { folded, byDefault })
            {
                (state.EventCount, state.SeenCreated, state.IsDeleted).Should().Be((other.EventCount, other.SeenCreated, other.IsDeleted), $"at {at:O}");
                state.LastEvent?.Id.Should().Be(other.LastEvent!.Id);
            }

            // jsonb keeps an event's changes in its own key order, so the order fields first appeared in is the stored
            // one: the same as the default's, which reads the same rows; the values are the in-memory fold's.
            Fields(state).Should().Equal(Fields(byDefault), $"at {at:O}");
            Fields(state).Should().BeEquivalentTo(Fields(folded), $"at {at:O}");

            // The newest event comes back whole, as the default returns it, though the fold reads only what it needs.
            if (state.LastEvent is { } last)
            {
                last.Should().BeEquivalentTo(byDefault.LastEvent!, o => o.ComparingByMembers<ActivityLogEvent>());
                last.Metadata!["step"].Should().NotBeNull();
                last.Actor.Name.Should().StartWith("User ");
            }
        }

        (await reader.GetResourceStateAsync("acct-c", Type, Id, Base.AddDays(1))).EventCount.Should().Be(0);
        await reader.Invoking(r => r.GetResourceStateAsync("acct-a", "Order!", Id, Base)).Should().ThrowAsync<ArgumentException>();
        await reader.Invoking(r => r.GetResourceStateAsync(" ", Type, Id, Base)).Should().ThrowAsync<ArgumentException>();
    }

    private static List<KeyValuePair<string, string>> Fields(ActivityResourceState state) =>
        [.. state.Fields.Select(f => new KeyValuePair<string, string>(f.Key, CaptureTestHost.Canonical(JsonNode.Parse(ActivityJsonSerializer.SerializeValue(f.Value)))))];

    /// <summary>Only the two required reads, so that the state is the interface's default fold over <c>ReadAllAsync</c>.</summary>
    private sealed class InterfaceDefaults(IActivityLogReader inner) : IActivityLogReader
    {
        public Task<ActivityLogPage> ReadPageAsync(ActivityLogQuery query, CancellationToken cancellationToken = default) =>
            inner.ReadPageAsync(query, cancellationToken);

        public IAsyncEnumerable<ActivityLogEvent> ReadAllAsync(ActivityLogQuery query, CancellationToken cancellationToken = default) =>
            inner.ReadAllAsync(query, cancellationToken);
    }
}

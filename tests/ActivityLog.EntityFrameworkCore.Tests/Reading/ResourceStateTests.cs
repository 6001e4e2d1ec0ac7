using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>
/// A record captured by the EF interceptor, rebuilt at points in time from its stored changes through the reader, and
/// the difference between two: on SQLite and PostgreSQL, with a sensitive property staying redacted.
/// </summary>
public sealed class ResourceStateTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_captured_record_is_rebuilt_at_each_point_in_time_and_compared_between_two(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        var reader = host.Services.GetRequiredService<IActivityLogReader>();
        var created = host.Time.GetUtcNow();
        int id;
        using (ActivityScope.Begin(ActivityActor.User(1, "Ann Admin"), "acme"))
        {
            await using (var scope = host.OpenContext())
            {
                var customer = new Customer { Name = "Ada", Email = "ada@example.com", TaxNumber = "TX-1", Tier = 1 };
                scope.Db.Customers.Add(customer);
                await scope.Db.SaveChangesAsync();
                id = customer.Id;
            }

            host.Time.Advance(TimeSpan.FromMinutes(1));
            await UpdateAsync(host, id, c => { c.Tier = 2; c.Name = "Ada L."; });
            host.Time.Advance(TimeSpan.FromMinutes(1));
            await UpdateAsync(host, id, c => c.Tier = 3);
            host.Time.Advance(TimeSpan.FromMinutes(1));
            await using (var scope = host.OpenContext())
            {
                scope.Db.Customers.Remove(await scope.Db.Customers.FindAsync(id) ?? throw new InvalidOperationException());
                await scope.Db.SaveChangesAsync();
            }
        }

        var rows = await host.EventsAsync();
        rows.Should().HaveCount(4);
        string type = rows[0].ResourceType!;
        string key = rows[0].ResourceId!;

        var first = await reader.GetResourceStateAsync("acme", type, key, created);
        Fields(first).Should().Contain(new Dictionary<string, string> { ["name"] = "\"Ada\"", ["tier"] = "1", ["tax_number"] = "\"[FILTERED]\"" });
        (first.EventCount, first.SeenCreated, first.IsDeleted).Should().Be((1, true, false));

        var second = await reader.GetResourceStateAsync("acme", type, key, created.AddMinutes(1.5));
        Fields(second).Should().Contain(new Dictionary<string, string> { ["name"] = "\"Ada L.\"", ["tier"] = "2", ["tax_number"] = "\"[FILTERED]\"" });
        second.EventCount.Should().Be(2);
        second.LastEvent!.Id.Should().Be(rows[1].Id);

        var deleted = await reader.GetResourceStateAsync("acme", type, key, created.AddMinutes(10));
        (deleted.EventCount, deleted.IsDeleted).Should().Be((4, true));
        Fields(deleted)["tier"].Should().Be("3", "a deleted record keeps its last values");

        (await reader.GetResourceStateAsync("acme", type, key, created.AddSeconds(-1))).EventCount.Should().Be(0);
        (await reader.GetResourceStateAsync("other", type, key, created.AddMinutes(10))).EventCount.Should().Be(0, "another account never sees the record");

        var diff = await reader.CompareResourceStatesAsync("acme", type, key, created, created.AddMinutes(2));
        diff.Changes.Select(c => (c.Field, Json(c.From), Json(c.To))).Should().BeEquivalentTo(
            [("name", "\"Ada\"", "\"Ada L.\""), ("tier", "1", "3")],
            "only what differs; the redacted tax number reads [FILTERED] on both sides and so never differs");

        var act = () => reader.CompareResourceStatesAsync("acme", type, key, created.AddMinutes(2), created);
        await act.Should().ThrowAsync<ArgumentException>().WithParameterName("earlier");
    }

    private static async Task UpdateAsync(CaptureTestHost host, int id, Action<Customer> change)
    {
        await using var scope = host.OpenContext();
        var customer = await scope.Db.Customers.FindAsync(id) ?? throw new InvalidOperationException();
        change(customer);
        await scope.Db.SaveChangesAsync();
    }

    private static Dictionary<string, string> Fields(ActivityResourceState state) =>
        state.Fields.ToDictionary(f => f.Key, f => Json(f.Value), StringComparer.Ordinal);

    private static string Json(object? value) => CaptureTestHost.Canonical(JsonNode.Parse(ActivityJsonSerializer.SerializeValue(value)));
}

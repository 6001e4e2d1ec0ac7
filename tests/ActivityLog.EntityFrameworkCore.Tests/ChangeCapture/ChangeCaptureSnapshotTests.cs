using System.Text.Json;
using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Testing;
using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;

/// <summary>The stored shape of a captured event, column by column, on both providers.</summary>
public sealed class ChangeCaptureSnapshotTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_captured_update_is_stored_in_this_shape(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        await using (var scope = host.OpenContext())
        {
            var customer = new Customer
            {
                Name = "Jane Doe",
                Email = "jane@example.com",
                TaxNumber = "DE123456789",
                Tier = 1,
                ShippingAddress = new Address { Street = "1 Main St", City = "Springfield" },
            };
            scope.Db.Customers.Add(customer);
            await scope.Db.SaveChangesAsync();

            using var ambient = ActivityScope.Begin(ActivityActor.User(783, "John Doe"), "acme",
                new ActivityRequestContext { IpAddress = "203.0.113.7", AuthMethod = "GitHub", CorrelationId = "req-1" });
            customer.Name = "Jane Smith";
            customer.Email = "jane.smith@example.com";
            customer.Tier = 2;
            customer.ShippingAddress.City = "Shelbyville";
            await scope.Db.SaveChangesAsync();
        }

        var row = (await host.EventsAsync()).Single(e => e.Name == "activity_log.customer.updated");
        var shape = new JsonObject
        {
            ["id"] = row.Id == Guid.Empty ? "(empty)" : "(scrubbed)",
            ["id_version"] = row.Id.Version,
            ["account_id"] = row.AccountId,
            ["name"] = row.Name,
            ["description"] = row.Description,
            // SQLite reads the column back with DateTimeKind.Unspecified, PostgreSQL with Utc; the instant is the same.
            ["occurred_at"] = DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Utc).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["actor_type"] = row.ActorType,
            ["actor_id"] = row.ActorId,
            ["actor_id_is_number"] = row.ActorIdIsNumber,
            ["actor_name"] = row.ActorName,
            ["resource_type"] = row.ResourceType,
            ["resource_id"] = row.ResourceId,
            ["resource_name"] = row.ResourceName,
            ["related_resources"] = row.RelatedResources,
            ["changes"] = InContractOrder(row.Changes),
            ["context"] = JsonNode.Parse(CaptureTestHost.Canonical(JsonNode.Parse(row.Context!))),
            ["metadata"] = row.Metadata,
        };

        SnapshotAssert.Matches(shape.ToJsonString(Indented), "captured-customer-update");
        if (provider == DatabaseProvider.Sqlite)
        {
            // Text columns keep the payload's order (to before from); PostgreSQL's jsonb keeps keys in its own order.
            row.Changes.Should().Contain("\"name\":{\"to\":\"Jane Smith\",\"from\":\"Jane Doe\"}");
        }
    }

    /// <summary>The stored changes with fields in name order and each change as the contract writes it: to, then from.</summary>
    private static JsonObject InContractOrder(string changes)
    {
        var result = new JsonObject();
        foreach (var (field, change) in JsonNode.Parse(changes)!.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result[field] = new JsonObject { ["to"] = change!["to"]?.DeepClone(), ["from"] = change["from"]?.DeepClone() };
        }

        return result;
    }
}

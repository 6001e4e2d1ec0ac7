using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using static ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.CaptureTestHost;

namespace ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;

/// <summary>
/// Captured entity changes do not come through <c>Record</c>, and capture must never fail the host's
/// <c>SaveChanges</c>: values no store can hold are repaired by the documented rule (a NUL or a lone surrogate becomes
/// U+FFFD) instead of being refused. SQLite holds both in the host's own row, so the captured event must not break on
/// them either — on 298d2c2 they went into the activity row unchanged, where PostgreSQL would refuse them.
/// </summary>
public sealed class CapturedValueRepairTests
{
    [Theory]
    [InlineData("nul")]
    [InlineData("lone surrogate")]
    public async Task A_captured_value_no_store_can_hold_is_repaired_and_the_save_succeeds(string defect)
    {
        // Built here, not passed as theory data: the test runner's serialization would mangle a lone surrogate.
        string name = defect == "nul" ? "Jane\0Doe" : "Jane\uD83DDoe";
        const string repaired = "Jane\uFFFDDoe";
        await using var host = await CaptureTestHost.StartAsync(DatabaseProvider.Sqlite);
        await using (var scope = host.OpenContext())
        {
            scope.Db.Customers.Add(new Customer { Name = name });
            await scope.Db.SaveChangesAsync();
        }

        var created = (await host.EventsAsync()).Should().ContainSingle(e => e.Name == "activity_log.customer.created").Subject;
        Change(created, "name").To.Should().Be(System.Text.Json.JsonSerializer.Serialize(repaired));
    }
}

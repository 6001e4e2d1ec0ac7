using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Tests;

/// <summary>The webhooks package brings the store's outbox tables into the model, endpoints configured or not.</summary>
public sealed class StoreOutboxModelTests
{
    private static readonly string[] OutboxTables = [ActivityLogModelOptions.DefaultOutboxTableName, ActivityLogModelOptions.DefaultOutboxBatchTableName];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task The_store_maps_the_outbox_tables_exactly_when_the_webhooks_package_is_added(bool webhooks, bool endpoint)
    {
        // Only the model is built: the SQLite file is never opened.
        string file = Path.Combine(Path.GetTempPath(), $"activitylog-model-{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        services.AddLogging();
        var log = services.AddActivityLog().AddEntityFrameworkStore(db => db.UseSqlite($"Data Source={file}"));
        if (webhooks)
        {
            log.AddWebhooks(o =>
            {
                if (endpoint)
                {
                    // Valid options: building the context builds the router, which reads the validated options.
                    o.AllowLoopback = true;
                    o.Endpoints["main"] = WebhookTestHost.Endpoint(new Uri("http://127.0.0.1:9/hook"));
                }
            });
        }

        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var tables = scope.ServiceProvider.GetRequiredService<ActivityLogDbContext>().Model.GetEntityTypes().Select(e => e.GetTableName()).ToList();

        tables.Should().Contain([ActivityLogModelOptions.DefaultTableName, ActivityLogModelOptions.DefaultQuarantineTableName]);
        if (webhooks)
        {
            tables.Should().Contain(OutboxTables, "a model that changed with the endpoint count would need a migration per endpoint");
        }
        else
        {
            tables.Should().NotContain(OutboxTables);
        }
    }
}

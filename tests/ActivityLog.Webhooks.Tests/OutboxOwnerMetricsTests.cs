using ActivityLog.Diagnostics;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// The outbox has one owner, and the counts say so: beside a store (whose transaction writes the deliveries) the
/// in-memory outbox's sink runs no worker, so the core's per-sink "delivered" count names the store only; without a
/// store that sink is the one that takes the events.
/// </summary>
public sealed class OutboxOwnerMetricsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_delivered_count_names_only_the_sink_that_took_the_events(bool withStore)
    {
        var folder = Directory.CreateTempSubdirectory("activitylog-owner-");
        try
        {
            await using var receiver = await WebhookReceiver.StartAsync();
            void Configure(ActivityWebhookOptions o) => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url);
            void Store(IServiceCollection services)
            {
                if (withStore)
                {
                    services.AddActivityLog().AddEntityFrameworkStore(
                        db => db.UseSqlite($"Data Source={Path.Combine(folder.FullName, "owner.db")};Pooling=false"), s => s.CreateSchemaOnStart = true);
                }
            }

            await using var host = WebhookTestHost.Create(Configure, new FakeTimeProvider(DateTimeOffset.UtcNow), Store);
            using var delivered = new MetricCollector<long>(
                host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), ActivityLogDiagnostics.MeterName, "activitylog.events.delivered");
            await host.RunAsync();
            for (int i = 0; i < 3; i++)
            {
                host.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", i, "U"), accountId: "acme");
            }

            await host.FlushAsync();
            await receiver.NextAsync();

            var bySink = delivered.GetMeasurementSnapshot()
                .GroupBy(m => (string)m.Tags["sink"]!)
                .ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
            if (withStore)
            {
                bySink.Should().ContainKey("EntityFrameworkActivitySink").WhoseValue.Should().Be(3);
                bySink.Should().NotContainKey("InMemoryOutboxSink", "the store's transaction wrote the deliveries; that sink did nothing");
            }
            else
            {
                bySink.Should().ContainKey("InMemoryOutboxSink").WhoseValue.Should().Be(3);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

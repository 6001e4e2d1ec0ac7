using ActivityLog.Testing.Postgres;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests.Engine;

/// <summary>
/// Issue 13, item 6: a subscription created, changed and deleted through one process takes effect on a second process
/// that shares the PostgreSQL database (and the Data Protection key ring), within its refresh interval.
/// </summary>
public sealed class CrossProcessSubscriptionTests
{
    [Fact]
    public async Task A_subscription_changed_on_one_process_takes_effect_on_the_other_within_the_refresh_interval()
    {
        string connection = await PostgresServer.Main.CreateDatabaseAsync("webhooks");
        var keys = Directory.CreateTempSubdirectory("activitylog-dp-");
        try
        {
            await using var receiver = await WebhookReceiver.StartAsync();
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            void Configure(ActivityWebhookOptions o)
            {
                o.Subscriptions.AllowHttp = true;
                o.Subscriptions.AllowLoopback = true;
                o.Subscriptions.MaxBatchDelay = TimeSpan.Zero;
            }

            void Services(IServiceCollection services)
            {
                services.AddDataProtection().SetApplicationName("ActivityLog.Webhooks.Tests").PersistKeysToFileSystem(keys);
                services.AddActivityLog().AddEntityFrameworkStore(db => db.UseNpgsql(connection), s => s.CreateSchemaOnStart = true);
            }

            await using var admin = await WebhookTestHost.StartAsync(Configure, time, Services);
            await using var worker = await WebhookTestHost.StartAsync(Configure, time, Services);
            var manager = admin.Services.GetRequiredService<IActivityWebhookSubscriptions>();
            var otherTargets = worker.Services.GetRequiredService<WebhookTargets>();

            var draft = new WebhookSubscriptionDraft { Url = new Uri(receiver.Url, "/first"), Description = "Logging", Events = { "activity_log.user.*" } };
            var id = (await manager.CreateAsync("acme", draft)).Subscription.Id;
            string destination = IWebhookDeliveryControl.DestinationOf(id);
            await PollUntilAsync(time, () => otherTargets.Find(destination) is not null);

            worker.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", 1, "U"), accountId: "acme");
            (await receiver.NextAsync()).Path.Should().Be("/first", "the second process routes to a subscription it learnt of by its poll");

            var moved = new WebhookSubscriptionDraft { Url = new Uri(receiver.Url, "/second"), Description = "Logging", Events = { "activity_log.user.*" } };
            await manager.UpdateAsync("acme", id, moved);
            await PollUntilAsync(time, () => otherTargets.Find(destination)?.Url.AbsolutePath == "/second");
            worker.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", 2, "U"), accountId: "acme");
            (await receiver.NextAsync()).Path.Should().Be("/second");

            (await manager.DeleteAsync("acme", id)).Should().BeTrue();
            await PollUntilAsync(time, () => otherTargets.Find(destination) is null);
            worker.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", 3, "U"), accountId: "acme");
            await worker.FlushAsync();
            (await worker.Services.GetRequiredService<WebhookDeliveryService>().Outbox.CountPendingAsync(destination))
                .Should().Be(0, "a subscription deleted on the other process gets nothing");
            receiver.Requests.Should().HaveCount(2);
        }
        finally
        {
            await PostgresServer.Main.DropDatabaseAsync(connection);
            keys.Delete(recursive: true);
        }
    }

    /// <summary>Moves the shared clock one refresh interval at a time until the second process has caught up (at most 10 polls).</summary>
    private static async Task PollUntilAsync(FakeTimeProvider time, Func<bool> caughtUp)
    {
        for (int poll = 0; poll < 10 && !caughtUp(); poll++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            for (int i = 0; i < 50 && !caughtUp(); i++)
            {
                await Task.Delay(20);
            }
        }

        caughtUp().Should().BeTrue("the change should reach the other process within a few refresh intervals");
    }
}

using ActivityLog.Delivery;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// The store path: when an <see cref="IActivityOutbox"/> is registered, the package registers one subscriber per
/// endpoint, its own sink stays idle, and the workers deliver from the registered outbox. A stand-in store writes the
/// entries the way the EF Core store does (one per accepting subscriber, then <see cref="ActivityOutboxSignal.Notify"/>).
/// </summary>
public sealed class OutboxPathTests
{
    [Fact]
    public async Task With_a_registered_outbox_the_workers_deliver_from_it_and_every_endpoint_has_a_subscriber()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        InMemoryActivityOutbox? store = null;
        await using var host = await WebhookTestHost.StartAsync(
            o => o.Endpoints["fromCode"] = WebhookTestHost.Endpoint(new Uri(receiver.Url, "/code"), e => e.Events.Add("activity_log.user.*")),
            services: services =>
            {
                services.AddSingleton<IActivityOutbox>(sp => store = new InMemoryActivityOutbox(sp.GetRequiredService<TimeProvider>(), 1000));
                services.AddActivityLog().AddSink<StandInStoreSink>();
            },
            configuration: new Dictionary<string, string?>
            {
                ["ActivityLog:Webhooks:Endpoints:fromConfig:Url"] = new Uri(receiver.Url, "/config").ToString(),
                ["ActivityLog:Webhooks:Endpoints:fromConfig:Secret"] = WebhookTestHost.Secret,
                ["ActivityLog:Webhooks:Endpoints:fromConfig:MaxBatchDelay"] = "00:00:00",
            });
        using var delivered = host.Collect("activitylog.webhooks.events.delivered");

        var routed = new HashSet<string>();
        foreach (var router in host.Services.GetServices<IActivityOutboxRouter>())
        {
            router.Route(new ActivityLogEvent { Name = "activity_log.user.updated" }, routed);
        }

        routed.Should().BeEquivalentTo("webhooks:fromCode", "webhooks:fromConfig");
        host.RecordUser(1);
        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "d_1"));
        await host.FlushAsync();
        while (true)
        {
            // Three events in all (one to /code, two to /config), in however many batches the timing made.
            var so = delivered.GetMeasurementSnapshot();
            if (so.Sum(m => m.Value) >= 3)
            {
                break;
            }

            await delivered.WaitForMeasurementsAsync(so.Count + 1, TimeSpan.FromSeconds(30));
        }

        var byPath = receiver.Requests.GroupBy(r => r.Path).ToDictionary(g => g.Key, g => g.SelectMany(r => ActivityLog.ActivityJsonSerializer.DeserializePayload(r.Body)).Select(e => e.Name).ToList());
        byPath["/code"].Should().Equal("activity_log.user.updated");
        byPath["/config"].Should().BeEquivalentTo("activity_log.user.updated", "activity_log.domain.added");
        store.Should().NotBeNull("the registered outbox was used");
        host.Services.GetRequiredService<WebhookDeliveryService>().Outbox.Should().BeSameAs(store, "the workers deliver from the registered outbox, not an in-memory one");
        (await host.Webhooks.CountPendingAsync("fromConfig")).Should().Be(0);
    }

    [Fact]
    public async Task With_a_registered_outbox_an_endpoint_added_after_AddWebhooks_still_gets_its_deliveries()
    {
        // Destinations are computed at run time from the final options, so an endpoint that appears after AddWebhooks
        // ran (where no probe could see it) is routed like any other: nothing to declare ahead.
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(
            o => o.Endpoints["early"] = WebhookTestHost.Endpoint(new Uri(receiver.Url, "/early")),
            services: services =>
            {
                services.AddSingleton<IActivityOutbox>(sp => new InMemoryActivityOutbox(sp.GetRequiredService<TimeProvider>(), 10));
                services.AddActivityLog().AddSink<StandInStoreSink>();
                services.PostConfigure<ActivityWebhookOptions>(o => o.Endpoints["hidden"] = WebhookTestHost.Endpoint(new Uri(receiver.Url, "/hidden")));
            });
        using var delivered = host.Collect("activitylog.webhooks.events.delivered");

        host.RecordUser(1);
        await host.FlushAsync();
        await WebhookTestHost.WaitAsync(delivered, 2);

        receiver.Requests.Select(r => r.Path).Should().BeEquivalentTo("/early", "/hidden");
    }

    /// <summary>Writes outbox deliveries per accepting subscriber and notifies, as a store does in its transaction.</summary>
    private sealed class StandInStoreSink(IActivityOutbox outbox, IEnumerable<IActivityOutboxRouter> routers, ActivityOutboxSignal signal) : IActivitySink
    {
        public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
        {
            var store = (InMemoryActivityOutbox)outbox;
            foreach (var activity in batch)
            {
                var destinations = new HashSet<string>();
                foreach (var router in routers)
                {
                    router.Route(activity, destinations);
                }

                foreach (string destination in destinations)
                {
                    store.TryAdd(destination, activity).Should().BeTrue();
                }
            }

            signal.Notify();
            return Task.CompletedTask;
        }
    }
}

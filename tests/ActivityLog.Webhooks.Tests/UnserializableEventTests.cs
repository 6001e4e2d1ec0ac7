using System.Text.Json.Nodes;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// An event that cannot be serialized is a permanent failure of that event alone (issue 11): it is dead-lettered on its
/// own, counted and logged, and the rest of its batch is delivered.
/// </summary>
public sealed class UnserializableEventTests
{
    [Fact]
    public async Task An_event_holding_NaN_is_dead_lettered_alone_and_the_twenty_others_are_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url));
        using var deliveries = host.Collect("activitylog.webhooks.events.delivered");
        using var deadLetters = host.Collect("activitylog.webhooks.dead_letters");
        using var failures = host.Collect("activitylog.webhooks.failures");
        var now = host.Time.GetUtcNow();
        var events = Enumerable.Range(1, 20).Select(i => Event(i, now, "plain")).ToList();
        // A JsonValue holding NaN has no JSON form: the writer throws on it. Handed to the sink as the pipeline would,
        // whatever Record itself accepts.
        var poisoned = Event(99, now, JsonValue.Create(double.NaN));
        events.Insert(10, poisoned);

        await host.Services.GetRequiredService<ActivityLog.Delivery.InMemoryOutboxSink>().WriteBatchAsync(events, CancellationToken.None);
        await WebhookTestHost.WaitAsync(deadLetters, 1);
        await deliveries.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(30));

        var delivered = receiver.Requests.SelectMany(r => ActivityLog.ActivityJsonSerializer.DeserializePayload(r.Body)).ToList();
        delivered.Select(e => e.Resource!.Value.Id).Should().Equal(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        deliveries.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(20);
        receiver.Requests.Should().ContainSingle("the twenty valid events went out as one batch");

        var dead = (await host.Webhooks.ListDeadLettersAsync("main")).Should().ContainSingle().Subject;
        dead.EventCount.Should().Be(1);
        dead.LastError.Should().Contain(poisoned.Id.ToString()).And.Contain("could not be serialized").And.NotContain("NaN", "the reason quotes no value");
        failures.GetMeasurementSnapshot().Should().ContainSingle(m => (string?)m.Tags["reason"] == "serialization");
        host.Logs.GetSnapshot().Should().Contain(r => r.Id.Id == 4110 && r.Message.Contains(poisoned.Id.ToString(), StringComparison.Ordinal));
        (await host.Webhooks.CountPendingAsync("main")).Should().Be(0, "nothing is stuck behind the bad event");

        host.RecordUser(21);
        await host.FlushAsync();
        await deliveries.WaitForMeasurementsAsync(2, TimeSpan.FromSeconds(30));
        receiver.Requests.Should().HaveCount(2, "the endpoint goes on delivering");
    }

    private static ActivityLogEvent Event(int id, DateTimeOffset at, object? to) => new()
    {
        Id = Guid.CreateVersion7(at),
        Name = "activity_log.user.updated",
        Description = "updated the user profile",
        Resource = new ActivityResource("user", id, "U"),
        Changes = [ActivityChange.Of("score", null, to)],
        Timestamp = at,
    };
}

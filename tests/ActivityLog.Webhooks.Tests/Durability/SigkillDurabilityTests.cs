using System.Collections.Concurrent;
using ActivityLog.Webhooks.Tests.Support;

namespace ActivityLog.Webhooks.Tests.Durability;

/// <summary>
/// A real child process (this assembly's <see cref="DurabilityChild"/>) records and delivers under load, is killed
/// with SIGKILL mid-delivery, and a second process on the same SQLite file finishes the work: every stored event is
/// delivered, and an event delivered twice is delivered again only under the same <c>webhook-id</c>.
/// </summary>
public sealed class SigkillDurabilityTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_process_killed_mid_load_loses_no_stored_event_and_resends_only_with_the_same_webhook_id(string provider)
    {
        await using var store = await DurabilityStore.CreateAsync(provider, "sigkill");
        await using var receiver = await WebhookReceiver.StartAsync();
        var output = new ConcurrentQueue<string>();
        var deliveriesOfEvent = new Dictionary<string, HashSet<string>>();
        var gate = new Lock();
        receiver.OnArrival = request =>
        {
            lock (gate)
            {
                foreach (var activity in ActivityLog.ActivityJsonSerializer.DeserializePayload(request.Body))
                {
                    string id = activity.Id.ToString();
                    if (!deliveriesOfEvent.TryGetValue(id, out var ids))
                    {
                        deliveriesOfEvent[id] = ids = [];
                    }

                    ids.Add(request.WebhookId);
                }
            }
        };
        // Latency keeps batches in flight, so the kill lands mid-delivery, and keeps delivery behind recording: with 30 ms
        // the worker (which now claims ahead) kept up with the child's commits of 20 and the kill found nothing undelivered.
        receiver.Respond = _ => new ReceiverResponse(200, Hold: Task.Delay(150));

        using (var recording = DurabilityProcess.Start(output, "record", provider, store.ConnectionString, receiver.Url.ToString()))
        {
            for (int received = 0; received < 5; received++)
            {
                await receiver.NextAsync();
            }

            await recording.KillAsync();
        }

        var stored = (await store.ReadAsync("acme")).Select(e => e.Id.ToString()).ToHashSet();
        int deliveredBeforeRestart;
        lock (gate)
        {
            deliveredBeforeRestart = stored.Count(deliveriesOfEvent.ContainsKey);
        }

        stored.Count.Should().BeGreaterThan(deliveredBeforeRestart, "the kill left stored events undelivered");
        using (var draining = DurabilityProcess.Start(output, "drain", provider, store.ConnectionString, receiver.Url.ToString()))
        {
            // Waits at most for the killed process's leases (10 seconds) to run out.
            while (true)
            {
                lock (gate)
                {
                    if (stored.All(deliveriesOfEvent.ContainsKey))
                    {
                        break;
                    }
                }

                if (!await receiver.TryNextAsync())
                {
                    Assert.Fail("The draining process sent nothing for 30 s. The children wrote:\n" + string.Join('\n', output.TakeLast(40)));
                }
            }

            await draining.KillAsync();
        }

        lock (gate)
        {
            deliveriesOfEvent.Keys.Should().BeSubsetOf(stored, "only stored events are sent");
            deliveriesOfEvent.Values.Should().OnlyContain(ids => ids.Count == 1, "a resent event travels under the webhook-id of its first attempt");
        }
    }
}

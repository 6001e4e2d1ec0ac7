using System.Text.Json;
using ActivityLog.Webhooks.Tests.Subscriptions.Support;
using ActivityLog.Webhooks.Tests.Support;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>
/// Issue 13, items 3 and 4, through the manager on the real engine and a real Kestrel receiver: re-enabling from now
/// discards (and counts) the backlog, from the backlog delivers it; delete discards; a dead letter is redelivered
/// with its <c>webhook-id</c>; a test event is signed and sent and kept in the history.
/// </summary>
public sealed class SubscriptionDeliveryTests
{
    [Fact]
    public async Task Enabling_from_now_discards_the_backlog_with_a_count_and_enabling_from_the_backlog_delivers_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await SubscriptionTestHost.StartAsync(s => s.AllowHttp = true);
        using var _ = SubscriptionTestHost.AsJohnDoe();
        // User events only, so that the webhook's own management activities are not part of its queue.
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: receiver.Url.ToString(), events: "activity_log.user.*"))).Subscription.Id;
        await host.Manager.DisableAsync("acme", id);

        RecordUsers(host, 1, 2, 3);
        await host.ActivitiesAsync();
        (await host.Outbox.CountPendingAsync(OutboxFixtures.Destination(id))).Should().Be(3, "a disabled webhook keeps its backlog");
        receiver.Requests.Should().BeEmpty("nothing is sent while it is disabled");

        var enabled = await host.Manager.EnableAsync("acme", id, WebhookResumeMode.Now);

        enabled!.Enabled.Should().BeTrue();
        enabled.DisabledReason.Should().BeNull();
        (await host.Outbox.CountPendingAsync(OutboxFixtures.Destination(id))).Should().Be(0);
        host.Logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 4202)
            .Which.Message.Should().Be($"Webhook subscription {id} of account acme: 3 pending events were discarded (enabled from now).");
        (await host.ActivitiesAsync()).Last(e => e.Name == "activity_log.webhook.enabled").Metadata!["discarded_events"]!.ToString().Should().Be("3");

        RecordUsers(host, 4);
        Ids(await receiver.NextAsync()).Should().Equal("4");

        await host.Manager.DisableAsync("acme", id);
        RecordUsers(host, 5, 6);
        await host.ActivitiesAsync();
        await host.Manager.EnableAsync("acme", id, WebhookResumeMode.Backlog);

        Ids(await receiver.NextAsync()).Should().Equal("5", "6");
        receiver.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task Deleting_discards_what_waits_counts_it_and_stops_routing()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(events: "activity_log.user.*"))).Subscription.Id;
        await host.Manager.DisableAsync("acme", id);
        RecordUsers(host, 1, 2);
        await host.ActivitiesAsync();

        (await host.Manager.DeleteAsync("acme", id)).Should().BeTrue();

        (await host.Outbox.CountPendingAsync(OutboxFixtures.Destination(id))).Should().Be(0);
        host.Logs.GetSnapshot().Should().Contain(r => r.Id.Id == 4202 && r.Message.Contains("2 pending events were discarded (deleted)"));
        host.Targets.Find(OutboxFixtures.Destination(id)).Should().BeNull("the engine dropped it at once");
        RecordUsers(host, 3);
        await host.ActivitiesAsync();
        (await host.Outbox.CountPendingAsync(OutboxFixtures.Destination(id))).Should().Be(0, "nothing is routed to a deleted webhook");
        (await host.Manager.GetAsync("acme", id)).Should().BeNull();
        (await host.Manager.ListAsync("acme")).Should().BeEmpty();
        (await host.Manager.DeleteAsync("acme", id)).Should().BeFalse("deleted once");
        (await host.Store.ListChangedSinceAsync(DateTimeOffset.MinValue)).Single(s => s.Id == id).DeletedAt.Should().NotBeNull("a tombstone tells other processes");
    }

    [Fact]
    public async Task A_dead_letter_is_listed_and_redelivered_with_the_same_webhook_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = _ => Interlocked.Increment(ref calls) == 1 ? new ReceiverResponse(500, Body: "down") : new ReceiverResponse(200);
        // One attempt only: the first failure is a dead letter.
        await using var host = await SubscriptionTestHost.StartAsync(s => s.AllowHttp = true, webhooks: o => o.RetryDelays = [TimeSpan.Zero]);
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: receiver.Url.ToString(), events: "activity_log.user.*"))).Subscription.Id;

        RecordUsers(host, 1);
        var failed = await receiver.NextAsync();
        var dead = await EventuallyAsync(() => host.Manager.ListDeadLettersAsync("acme", id), list => list.Count == 1);

        dead[0].MessageId.Should().Be(failed.WebhookId);
        dead[0].EventCount.Should().Be(1);
        dead[0].LastError.Should().Contain("500");
        (await host.Manager.RedeliverAsync("acme", id, failed.WebhookId)).Should().BeTrue();

        var redelivered = await receiver.NextAsync();
        redelivered.WebhookId.Should().Be(failed.WebhookId, "receivers deduplicate by it");
        Ids(redelivered).Should().Equal("1");
        (await EventuallyAsync(() => host.Manager.ListDeadLettersAsync("acme", id), list => list.Count == 0)).Should().BeEmpty();
        (await host.Manager.RedeliverAsync("acme", id, failed.WebhookId)).Should().BeFalse("it is no longer a dead letter");
        var attempts = await EventuallyAsync(() => host.Manager.ListAttemptsAsync("acme", id), list => list.Count == 2);
        attempts.Select(a => (a.MessageId, a.Succeeded, a.StatusCode)).Should().Equal((failed.WebhookId, true, 200), (failed.WebhookId, false, 500));
    }

    [Fact]
    public async Task Deleting_a_webhook_discards_its_dead_letters_too_so_nothing_keeps_their_events_from_retention()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => new ReceiverResponse(500, Body: "down");
        await using var host = await SubscriptionTestHost.StartAsync(s => s.AllowHttp = true, webhooks: o => o.RetryDelays = [TimeSpan.Zero]);
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: receiver.Url.ToString(), events: "activity_log.user.*"))).Subscription.Id;
        RecordUsers(host, 1);
        await receiver.NextAsync();
        await EventuallyAsync(() => host.Manager.ListDeadLettersAsync("acme", id), list => list.Count == 1);

        (await host.Manager.DeleteAsync("acme", id)).Should().BeTrue();

        (await host.Outbox.ListDeadLettersAsync(OutboxFixtures.Destination(id))).Should().BeEmpty("no one can redeliver a deleted webhook's dead letters");
        host.Logs.GetSnapshot().Should().Contain(r => r.Id.Id == 4202 && r.Message.Contains("1 pending events were discarded (deleted)"));
    }

    [Fact]
    public async Task Recover_makes_every_dead_letter_since_a_time_due_again_and_counts_them()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(events: "activity_log.user.*"))).Subscription.Id;
        await host.Manager.DisableAsync("acme", id); // the engine leaves it alone: the test makes the dead letters
        string early = await OutboxFixtures.DeadLetterAsync(host, id);
        host.Time.Advance(TimeSpan.FromHours(2));
        var since = host.Time.GetUtcNow();
        string late1 = await OutboxFixtures.DeadLetterAsync(host, id);
        string late2 = await OutboxFixtures.DeadLetterAsync(host, id);

        (await host.Manager.ListDeadLettersAsync("acme", id)).Select(d => d.MessageId).Should().BeEquivalentTo([early, late1, late2]).And.StartWith(early, "oldest first");
        (await host.Manager.RecoverAsync("acme", id, since)).Should().Be(2);

        (await host.Manager.ListDeadLettersAsync("acme", id)).Select(d => d.MessageId).Should().Equal(early);
        (await host.Outbox.CountPendingAsync(OutboxFixtures.Destination(id))).Should().Be(2);
        host.Logs.GetSnapshot().Should().Contain(r => r.Id.Id == 4206 && r.Message.Contains(": 2 dead-lettered messages are due again"));
    }

    [Fact]
    public async Task A_test_event_is_signed_sent_and_kept_in_the_history()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => new ReceiverResponse(202, Body: "thanks");
        await using var host = await SubscriptionTestHost.StartAsync(s => s.AllowHttp = true);
        var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: receiver.Url.ToString(), events: "activity_log.user.*"));

        var attempt = await host.Manager.SendTestAsync("acme", created.Subscription.Id);

        attempt!.IsTest.Should().BeTrue();
        attempt.Succeeded.Should().BeTrue();
        attempt.StatusCode.Should().Be(202);
        var request = await receiver.NextAsync();
        request.WebhookId.Should().Be(attempt.MessageId);
        new ActivityLog.Webhooks.WebhookSignatureVerifier([created.Secret], WebhookSigningScheme.StandardWebhooks, timeProvider: host.Time)
            .Verify(request.Body, request.HeaderPairs).Should().BeTrue("signed with the secret shown at creation");
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(long.Parse(request.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture));
        request.Headers["webhook-signature"].Should().Be(new StandardWebhooks.StandardWebhook(created.Secret).Sign(request.WebhookId, timestamp, request.Text));
        request.Text.Should().Contain("activity_log.webhook.test");
        (await host.Manager.ListAttemptsAsync("acme", created.Subscription.Id)).Should().ContainSingle(a => a.IsTest && a.MessageId == attempt.MessageId);
    }

    private static void RecordUsers(SubscriptionTestHost host, params int[] ids)
    {
        foreach (int id in ids)
        {
            host.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", id, $"User {id}"), accountId: "acme");
        }
    }

    /// <summary>The user ids a request carries, in order.</summary>
    private static List<string> Ids(ReceivedRequest request)
    {
        using var json = JsonDocument.Parse(request.Text);
        return [.. json.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").ToString())];
    }

    /// <summary>Polls a read until it answers as expected: history and outbox outcomes are written just after the request.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(20);
        }
    }
}

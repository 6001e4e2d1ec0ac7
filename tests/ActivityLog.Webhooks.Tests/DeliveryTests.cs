using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>Retries, timeouts, connection errors, Retry-After, 410 and dead letters, against a real Kestrel receiver, on a fake clock.</summary>
public sealed class DeliveryTests
{
    [Fact]
    public async Task A_500_is_retried_after_the_schedule_s_second_delay_with_the_same_webhook_id_and_body()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = _ => new ReceiverResponse(Interlocked.Increment(ref calls) == 1 ? 500 : 204);
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url));
        using var retries = host.Collect("activitylog.webhooks.retries");
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");

        host.RecordUser(1);
        await host.FlushAsync();
        var first = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(retries, 1);
        host.Time.Advance(TimeSpan.FromSeconds(5));
        var second = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(deliveries, 1);

        second.WebhookId.Should().Be(first.WebhookId).And.StartWith("msg_");
        second.Text.Should().Be(first.Text);
        second.Headers["webhook-timestamp"].Should().Be((long.Parse(first.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture) + 5).ToString(System.Globalization.CultureInfo.InvariantCulture), "each attempt is signed at its own time");
        (await host.Webhooks.CountPendingAsync("main")).Should().Be(0);
        host.Logs.GetSnapshot().Should().Contain(r => r.Message.Contains("failed (HTTP 500)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_timeout_is_retried()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        int calls = 0;
        receiver.Respond = _ => Interlocked.Increment(ref calls) == 1 ? new ReceiverResponse(200, Hold: never.Task) : new ReceiverResponse(200);
        receiver.OnArrival = _ => arrived.TrySetResult();
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.RequestTimeout = TimeSpan.FromSeconds(1);
            o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url);
        });
        using var failures = host.Collect("activitylog.webhooks.failures");
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");

        host.RecordUser(1);
        await host.FlushAsync();
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await WebhookTestHost.WaitAsync(failures, 1);
        failures.LastMeasurement!.Tags["reason"].Should().Be("timeout");
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await WebhookTestHost.WaitAsync(deliveries, 1);

        var requests = receiver.Requests.ToArray();
        requests.Should().HaveCount(2);
        requests[1].WebhookId.Should().Be(requests[0].WebhookId);
        never.TrySetResult();
    }

    [Fact]
    public async Task A_refused_connection_is_retried_until_the_receiver_is_up()
    {
        int port;
        await using (var probe = await WebhookReceiver.StartAsync())
        {
            port = probe.Port;
        }

        var url = new Uri($"http://127.0.0.1:{port}/hooks/activity?token=url-borne-token");
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(url));
        using var failures = host.Collect("activitylog.webhooks.failures");
        using var retries = host.Collect("activitylog.webhooks.retries");
        host.RecordUser(1);
        await host.FlushAsync();
        await WebhookTestHost.WaitAsync(retries, 1);
        failures.LastMeasurement!.Tags["reason"].Should().Be("connection");

        await using var receiver = await WebhookReceiver.StartAsync(port);
        host.Time.Advance(TimeSpan.FromSeconds(5));
        var request = await receiver.NextAsync();

        ActivityLog.ActivityJsonSerializer.DeserializePayload(request.Body).Should().ContainSingle();
        var logged = host.Logs.GetSnapshot();
        logged.Should().Contain(r => r.Message.Contains("connection failed: ConnectionError", StringComparison.Ordinal));
        logged.Should().NotContain(r => r.Message.Contains("url-borne-token", StringComparison.Ordinal) || (r.Exception != null && r.Exception.ToString().Contains("url-borne-token", StringComparison.Ordinal)), "a URL may carry a token");
        string key = WebhookTestHost.Secret["whsec_".Length..];
        logged.Should().NotContain(r => r.Message.Contains(key, StringComparison.Ordinal), "secrets are never logged");
    }

    [Fact]
    public async Task A_429_waits_for_its_Retry_After_seconds_instead_of_the_shorter_scheduled_delay()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = _ => Interlocked.Increment(ref calls) == 1
            ? new ReceiverResponse(429, new Dictionary<string, string> { ["Retry-After"] = "120" })
            : new ReceiverResponse(200);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url), time);
        using var retries = host.Collect("activitylog.webhooks.retries");
        var start = host.Time.GetUtcNow();

        host.RecordUser(1);
        await host.FlushAsync();
        await WebhookTestHost.WaitAsync(retries, 1);
        var retryAt = host.Logs.GetSnapshot().Single(r => r.Id.Id == 4102).StructuredState!.Single(s => s.Key == "RetryAt").Value;
        DateTimeOffset.Parse(retryAt!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(start + TimeSpan.FromSeconds(120));

        host.Time.Advance(TimeSpan.FromSeconds(119));
        receiver.Requests.Should().HaveCount(1, "nothing is due before Retry-After");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await receiver.NextAsync();
        var again = await receiver.NextAsync();
        again.WebhookId.Should().Be(receiver.Requests.First().WebhookId);
    }

    [Fact]
    public async Task A_503_with_an_HTTP_date_Retry_After_is_honoured()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
        int calls = 0;
        receiver.Respond = _ => Interlocked.Increment(ref calls) == 1
            ? new ReceiverResponse(503, new Dictionary<string, string> { ["Retry-After"] = "Thu, 26 Nov 2026 10:10:00 GMT" })
            : new ReceiverResponse(200);
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url), time);
        using var retries = host.Collect("activitylog.webhooks.retries");

        host.RecordUser(1);
        await host.FlushAsync();
        await WebhookTestHost.WaitAsync(retries, 1);
        var retryAt = host.Logs.GetSnapshot().Single(r => r.Id.Id == 4102).StructuredState!.Single(s => s.Key == "RetryAt").Value;
        DateTimeOffset.Parse(retryAt!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(new DateTimeOffset(2026, 11, 26, 10, 10, 0, TimeSpan.Zero));
        time.Advance(TimeSpan.FromMinutes(10));
        await receiver.NextAsync();
        (await receiver.NextAsync()).WebhookId.Should().Be(receiver.Requests.First().WebhookId);
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_and_keeps_its_work_until_it_is_enabled_again()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = _ => new ReceiverResponse(Interlocked.Increment(ref calls) == 1 ? 410 : 200);
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url));
        using var disabled = host.Collect("activitylog.webhooks.endpoints.disabled");
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");

        host.RecordUser(1);
        await host.FlushAsync();
        var gone = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(disabled, 1);
        host.Webhooks.IsDisabled("main").Should().BeTrue();
        host.RecordUser(2);
        await host.FlushAsync();
        host.Time.Advance(TimeSpan.FromMinutes(1));
        (await host.Webhooks.CountPendingAsync("main")).Should().Be(2, "a disabled endpoint keeps its pending work");
        (await host.Webhooks.ListDeadLettersAsync("main")).Should().BeEmpty("a 410 is not a dead letter");
        host.Logs.GetSnapshot().Should().Contain(r => r.Id.Id == 4104);

        host.Webhooks.Enable("main");
        await WebhookTestHost.WaitAsync(deliveries, 2);
        var requests = receiver.Requests.ToArray();
        requests.Should().HaveCount(3, "nothing was sent while disabled");
        requests.Skip(1).Select(r => r.WebhookId).Should().Contain(gone.WebhookId, "the kept batch goes out with its own id");
        requests.Skip(1).Sum(r => ActivityLog.ActivityJsonSerializer.DeserializePayload(r.Body).Count).Should().Be(2);
        (await host.Webhooks.CountPendingAsync("main")).Should().Be(0);
    }

    [Fact]
    public Task A_400_is_dead_lettered_at_once_and_redelivered_on_request_with_the_same_webhook_id() =>
        DeadLetterThenRedeliverAsync(400);

    /// <summary>
    /// A refused batch (<paramref name="status"/>, "bad payload") is dead-lettered after one attempt, listed, and
    /// redelivered on request with the same webhook-id and body; shared by the in-memory and the store outbox tests.
    /// </summary>
    internal static async Task DeadLetterThenRedeliverAsync(int status, Action<IServiceCollection>? services = null)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = _ => Interlocked.Increment(ref calls) == 1 ? new ReceiverResponse(status, Body: "bad payload") : new ReceiverResponse(200);
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url), services: services);
        using var deadLetters = host.Collect("activitylog.webhooks.dead_letters");
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");

        host.RecordUser(1);
        await host.FlushAsync();
        var refused = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(deadLetters, 1);

        var dead = (await host.Webhooks.ListDeadLettersAsync()).Should().ContainSingle().Subject;
        dead.Destination.Should().Be("webhooks:main");
        dead.Attempts.Should().Be(1);
        dead.EventCount.Should().Be(1);
        dead.LastError.Should().Be($"HTTP {status}: bad payload (not retried)");
        refused.WebhookId.Should().Be("msg_" + dead.BatchId.ToString("N"));
        (await host.Webhooks.CountPendingAsync("main")).Should().Be(0, "dead letters are not pending");

        (await host.Webhooks.RedeliverAsync(dead.BatchId)).Should().BeTrue();
        var redelivered = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(deliveries, 1);
        redelivered.WebhookId.Should().Be(refused.WebhookId);
        redelivered.Text.Should().Be(refused.Text);
        (await host.Webhooks.ListDeadLettersAsync()).Should().BeEmpty();
        (await host.Webhooks.RedeliverAsync(dead.BatchId)).Should().BeFalse("it is no longer a dead letter");
    }

    [Fact]
    public async Task The_standard_schedule_makes_ten_attempts_at_its_delays_then_dead_letters()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => new ReceiverResponse(503);
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url));
        using var failures = host.Collect("activitylog.webhooks.failures");
        using var deadLetters = host.Collect("activitylog.webhooks.dead_letters");
        var start = host.Time.GetUtcNow();

        host.RecordUser(1);
        await host.FlushAsync();
        var attemptTimes = new List<DateTimeOffset>();
        var delays = ActivityWebhookOptions.StandardRetryDelays;
        for (int attempt = 0; attempt < delays.Count; attempt++)
        {
            if (attempt > 0)
            {
                host.Time.Advance(delays[attempt] - TimeSpan.FromSeconds(1));
                receiver.Requests.Should().HaveCount(attempt, $"attempt {attempt + 1} is not due a second early");
                host.Time.Advance(TimeSpan.FromSeconds(1));
            }

            var request = await receiver.NextAsync();
            attemptTimes.Add(DateTimeOffset.FromUnixTimeSeconds(long.Parse(request.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture)));
            await WebhookTestHost.WaitAsync(failures, attempt + 1);
        }

        await WebhookTestHost.WaitAsync(deadLetters, 1);
        receiver.Requests.Select(r => r.WebhookId).Distinct().Should().ContainSingle();
        var expected = delays.Select((_, i) => start + delays.Take(i + 1).Aggregate(TimeSpan.Zero, (a, b) => a + b));
        attemptTimes.Select(t => t.ToUnixTimeSeconds()).Should().Equal(expected.Select(t => t.ToUnixTimeSeconds()));
        var dead = (await host.Webhooks.ListDeadLettersAsync("main")).Should().ContainSingle().Subject;
        dead.Attempts.Should().Be(10);
        dead.LastError.Should().StartWith("HTTP 503");
    }

    [Fact]
    public async Task A_deduplicating_receiver_sees_every_event_exactly_once_across_retries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var bodies = new Dictionary<string, string>();
        var events = new List<string>();
        var gate = new Lock();
        receiver.Respond = request =>
        {
            lock (gate)
            {
                if (bodies.TryGetValue(request.WebhookId, out var body))
                {
                    body.Should().Be(request.Text, "a retry carries the same batch");
                    return new ReceiverResponse(200);
                }

                // Processed, but the answer is lost (500): the sender must retry with the same id, and the
                // receiver, deduplicating by webhook-id, must not process it twice.
                bodies[request.WebhookId] = request.Text;
                events.AddRange(ActivityLog.ActivityJsonSerializer.DeserializePayload(request.Body).Select(e => e.Resource!.Value.Id!));
                return new ReceiverResponse(500);
            }
        };
        await using var host = WebhookTestHost.Create(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url, e => e.MaxBatchEvents = 5));
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");
        using var retries = host.Collect("activitylog.webhooks.retries");
        // Recorded before the start, so the four batches of five are formed from one sink batch.
        for (int i = 1; i <= 20; i++)
        {
            host.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", i, "U"));
        }

        await host.RunAsync();

        await WebhookTestHost.WaitAsync(retries, 4);
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await WebhookTestHost.WaitAsync(deliveries, 4);

        events.Should().BeEquivalentTo(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        events.Should().OnlyHaveUniqueItems();
        receiver.Requests.Should().HaveCount(8, "four batches, each sent twice");
        receiver.Requests.GroupBy(r => r.WebhookId).Should().HaveCount(4).And.OnlyContain(g => g.Count() == 2);
    }

    [Fact]
    public async Task A_slow_endpoint_does_not_hold_back_another_one()
    {
        await using var slow = await WebhookReceiver.StartAsync();
        await using var fast = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource();
        var slowArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.Respond = _ => new ReceiverResponse(200, Hold: release.Task);
        slow.OnArrival = _ => slowArrived.TrySetResult();
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.Endpoints["slow"] = WebhookTestHost.Endpoint(slow.Url);
            o.Endpoints["fast"] = WebhookTestHost.Endpoint(fast.Url);
        });

        host.RecordUser(1);
        await host.FlushAsync();
        await slowArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (int i = 2; i <= 3; i++)
        {
            host.RecordUser(i);
            await host.FlushAsync();
        }

        var received = new List<ReceivedRequest>();
        while (received.Sum(r => ActivityLog.ActivityJsonSerializer.DeserializePayload(r.Body).Count) < 3)
        {
            received.Add(await fast.NextAsync());
        }

        slow.Requests.Should().ContainSingle("the slow endpoint is still busy with its first batch");
        release.SetResult();
    }

    [Fact]
    public async Task A_graceful_stop_delivers_what_is_still_queued_without_a_store()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url, e => e.MaxBatchEvents = 10));
        for (int i = 1; i <= 35; i++)
        {
            host.RecordUser(i);
        }

        await host.StopAsync();

        receiver.Requests.Sum(r => ActivityLog.ActivityJsonSerializer.DeserializePayload(r.Body).Count).Should().Be(35);
        receiver.Requests.Should().OnlyContain(r => ActivityLog.ActivityJsonSerializer.DeserializePayload(r.Body).Count <= 10);
    }

    [Fact]
    public async Task A_full_in_memory_queue_drops_and_counts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = _ => new ReceiverResponse(200, Hold: release.Task);
        receiver.OnArrival = _ => arrived.TrySetResult();
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.InMemoryCapacity = 3;
            o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url, e => e.MaxBatchEvents = 1);
        });
        using var dropped = host.Collect("activitylog.webhooks.events.dropped");
        host.RecordUser(1);
        await host.FlushAsync();
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        for (int i = 2; i <= 6; i++)
        {
            host.RecordUser(i);
        }

        await host.FlushAsync();

        dropped.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(3, "one in flight and two waiting fill the capacity of 3");
        dropped.LastMeasurement!.Tags["reason"].Should().Be("queue_full");
        (await host.Webhooks.CountPendingAsync("main")).Should().Be(3);
        release.SetResult();
    }
}

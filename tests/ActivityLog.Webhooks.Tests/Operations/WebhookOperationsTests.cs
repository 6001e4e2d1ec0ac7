using System.Diagnostics;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

using ActivityLog.Tests.Shared.Diagnostics;

namespace ActivityLog.Webhooks.Tests.Operations;

/// <summary>
/// Issue 12, item 8, for deliveries: a span per webhook attempt (seen by a real <see cref="ActivityListener"/>,
/// against a real Kestrel receiver) and the health check reading the in-memory outbox's backlog and dead letters.
/// </summary>
public sealed class WebhookOperationsTests : IDisposable
{
    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task Each_attempt_is_a_span_with_the_host_status_and_outcome_but_no_path_or_secret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = _ => Interlocked.Increment(ref calls) == 1 ? new ReceiverResponse(503) : new ReceiverResponse(200);
        var url = new Uri(receiver.Url, "/hooks/activity?token=s3cr3t-token");
        await using var host = await WebhookTestHost.StartAsync(o => o.Endpoints["main"] = WebhookTestHost.Endpoint(url));
        using var retries = host.Collect("activitylog.webhooks.retries");
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");

        host.RecordUser(1);
        await host.FlushAsync();
        var first = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(retries, 1);
        host.Time.Advance(ActivityWebhookOptions.StandardRetryDelays[1]);
        await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(deliveries, 1);

        var attempts = await AttemptsAsync(receiver.Port, 2);
        attempts[0].GetTagItem("http.response.status_code").Should().Be(503);
        attempts[0].GetTagItem("activitylog.outcome").Should().Be("retry");
        attempts[0].GetTagItem("error.type").Should().Be("503");
        attempts[0].GetTagItem("activitylog.webhook.attempt").Should().Be(1);
        attempts[0].Status.Should().Be(ActivityStatusCode.Error);
        attempts[1].GetTagItem("http.response.status_code").Should().Be(200);
        attempts[1].GetTagItem("activitylog.outcome").Should().Be("delivered");
        attempts[1].GetTagItem("activitylog.webhook.attempt").Should().Be(2);
        attempts[1].Status.Should().Be(ActivityStatusCode.Unset);
        attempts.Should().AllSatisfy(a =>
        {
            a.OperationName.Should().Be("activitylog.webhook.attempt");
            a.GetTagItem("activitylog.webhook.endpoint").Should().Be("main");
            a.GetTagItem("server.address").Should().Be("127.0.0.1");
            a.GetTagItem("activitylog.batch.size").Should().Be(1);
            a.GetTagItem("activitylog.webhook.id").Should().Be(first.WebhookId);
            a.TagObjects.Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture)).Should()
                .NotContain(v => v!.Contains("s3cr3t", StringComparison.Ordinal) || v.Contains("/hooks", StringComparison.Ordinal) || v.Contains("Jane", StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task A_dead_letter_in_the_in_memory_outbox_degrades_the_health_check()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => new ReceiverResponse(400, Body: "bad payload");
        await using var host = await WebhookTestHost.StartAsync(
            o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url),
            services: s => s.AddHealthChecks().AddActivityLog());
        using var deadLetters = host.Collect("activitylog.webhooks.dead_letters");
        (await CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy);

        host.RecordUser(1);
        await host.FlushAsync();
        await WebhookTestHost.WaitAsync(deadLetters, 1);

        var entry = await CheckAsync(host);
        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain("1 dead-lettered batch(es) for webhooks:main");
        entry.Data["outbox.webhooks:main.dead_letters"].Should().Be(1L);
        entry.Data["outbox.webhooks:main.pending"].Should().Be(0L);
    }

    [Fact]
    public async Task A_backlog_older_than_the_threshold_degrades_the_health_check()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => new ReceiverResponse(503);
        await using var host = await WebhookTestHost.StartAsync(
            o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url),
            services: s => s.AddHealthChecks().AddActivityLog(configure: o => o.OutboxBacklogAgeDegraded = TimeSpan.FromMinutes(1)));
        using var retries = host.Collect("activitylog.webhooks.retries");
        host.RecordUser(1);
        await host.FlushAsync();
        await WebhookTestHost.WaitAsync(retries, 1);

        var young = await CheckAsync(host);
        young.Status.Should().Be(HealthStatus.Healthy, "the backlog is younger than a minute");
        young.Data["outbox.webhooks:main.pending"].Should().Be(1L);

        // Paced: the worker gets to run between steps (its 5 s retry is due within the first).
        for (int i = 0; i < 4; i++)
        {
            host.Time.Advance(TimeSpan.FromSeconds(20));
            await Task.Delay(50);
        }

        var old = await CheckAsync(host);
        old.Status.Should().Be(HealthStatus.Degraded);
        old.Description.Should().Contain("the oldest delivery for webhooks:main waits since");
        old.Data["outbox.webhooks:main.pending"].Should().Be(1L);
        ((double)old.Data["outbox.webhooks:main.oldest_pending_seconds"]).Should().BeGreaterThanOrEqualTo(80);
    }

    private async Task<List<Activity>> AttemptsAsync(int port, int count)
    {
        // A span is reported when it stops, just after the outcome is recorded: wait for it, bounded.
        for (int i = 0; i < 300 && Attempts(port).Count < count; i++)
        {
            await Task.Delay(10);
        }

        return Attempts(port).Should().HaveCount(count).And.Subject.ToList();
    }

    private List<Activity> Attempts(int port) =>
        [.. _spans.Stopped.Where(a => a.OperationName == "activitylog.webhook.attempt" && a.GetTagItem("server.port") is int p && p == port).OrderBy(a => a.StartTimeUtc)];

    private static async Task<HealthReportEntry> CheckAsync(WebhookTestHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["activitylog"];
}

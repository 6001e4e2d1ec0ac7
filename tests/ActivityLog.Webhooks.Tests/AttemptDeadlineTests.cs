using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>One deadline covers the whole HTTP attempt, the response body included (issue 11, item 4).</summary>
public sealed class AttemptDeadlineTests
{
    [Fact]
    public async Task A_500_whose_body_never_ends_fails_at_the_deadline_is_retried_and_later_events_are_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var never = new TaskCompletionSource();
        int calls = 0;
        receiver.Respond = _ => Interlocked.Increment(ref calls) == 1
            ? new ReceiverResponse(500, Body: "partial answer, and then nothing", StallBody: never.Task)
            : new ReceiverResponse(200);
        var headersSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await WebhookTestHost.StartAsync(
            o =>
            {
                o.RequestTimeout = TimeSpan.FromSeconds(2);
                o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url);
            },
            new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero)), // whole seconds, as the log's RetryAt
            services: services => services.PostConfigure<HttpClientFactoryOptions>(ActivityWebhookOptions.HttpClientName, factory =>
                // Innermost, next to the socket: tells the test that the 500's headers reached the client, so the
                // clock moves only once the attempt is past the headers and waiting on the body.
                factory.HttpMessageHandlerBuilderActions.Add(handlers => handlers.AdditionalHandlers.Add(new HeadersSeenHandler(headersSeen)))));
        using var failures = host.Collect("activitylog.webhooks.failures");
        using var retries = host.Collect("activitylog.webhooks.retries");
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");
        var start = host.Time.GetUtcNow();

        host.RecordUser(1);
        await host.FlushAsync();
        var first = await receiver.NextAsync();
        await headersSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await WebhookTestHost.WaitAsync(retries, 1); // counted after the failure and its log line

        failures.LastMeasurement!.Tags["reason"].Should().Be("timeout", "the stalled body ran into the attempt's deadline");
        var retrying = host.Logs.GetSnapshot().Single(r => r.Id.Id == 4102);
        var retryAt = DateTimeOffset.Parse(retrying.StructuredState!.Single(s => s.Key == "RetryAt").Value!, System.Globalization.CultureInfo.InvariantCulture);
        retryAt.Should().Be(start + TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(5), "the attempt ended at its 2-second deadline and the schedule's 5 s follow");

        host.Time.Advance(TimeSpan.FromSeconds(5));
        var second = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(deliveries, 1);
        second.WebhookId.Should().Be(first.WebhookId, "the same batch is retried");

        host.RecordUser(2);
        await host.FlushAsync();
        var later = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(deliveries, 2);
        ActivityLog.ActivityJsonSerializer.DeserializePayload(later.Body).Single().Resource!.Value.Id.Should().Be("2");
        (await host.Webhooks.CountPendingAsync("main")).Should().Be(0);
        never.TrySetResult();
    }

    private sealed class HeadersSeenHandler(TaskCompletionSource seen) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode == 500)
            {
                seen.TrySetResult();
            }

            return response;
        }
    }
}

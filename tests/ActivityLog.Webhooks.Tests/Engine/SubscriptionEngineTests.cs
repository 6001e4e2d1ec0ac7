using System.Text.Json;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Signing;
using ActivityLog.Webhooks.Subscriptions;
using ActivityLog.Webhooks.Tests.Subscriptions.Support;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Tests.Engine;

/// <summary>
/// Issue 13 on the wire, through the real engine and a real Kestrel receiver: rotation signs with both secrets during the
/// overlap, continuous failure disables a subscription (recorded, hook called), and a name that resolves to loopback is
/// refused at connect time even when it got past the save-time check.
/// </summary>
public sealed class SubscriptionEngineTests
{
    [Fact]
    public async Task During_the_rotation_overlap_every_request_carries_both_signatures_and_each_secret_alone_verifies()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await SubscriptionTestHost.StartAsync(s => s.AllowHttp = true);
        using var _ = SubscriptionTestHost.AsJohnDoe();
        var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: receiver.Url.ToString(), events: "activity_log.user.*"));
        var rotated = (await host.Manager.RotateSecretAsync("acme", created.Subscription.Id))!;
        rotated.Secret.Should().NotBe(created.Secret);

        host.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", 1, "U"));
        var during = await receiver.NextAsync();

        during.Headers["webhook-signature"].Split(' ').Should().HaveCount(2, "the old secret signs beside the new one");
        Verifier(created.Secret, host).Verify(during.Body, during.HeaderPairs).Should().BeTrue("a receiver still on the old secret verifies");
        Verifier(rotated.Secret, host).Verify(during.Body, during.HeaderPairs).Should().BeTrue("a receiver on the new secret verifies");

        // After the overlap the old secret no longer signs.
        host.Time.Advance(rotated.PreviousSecretExpiresAt - host.Time.GetUtcNow() + TimeSpan.FromSeconds(1));
        host.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", 2, "U"));
        var after = await receiver.NextAsync();

        after.Headers["webhook-signature"].Split(' ').Should().ContainSingle();
        Verifier(rotated.Secret, host).Verify(after.Body, after.HeaderPairs).Should().BeTrue();
        Verifier(created.Secret, host).Verify(after.Body, after.HeaderPairs).Should().BeFalse("the rotated-out secret expired");
    }

    [Fact]
    public async Task Five_days_of_continuous_failure_disable_the_subscription_record_it_and_call_the_host_hook()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => new ReceiverResponse(503, Body: "maintenance");
        var hook = new RecordingHook();
        await using var host = await SubscriptionTestHost.StartAsync(
            s => s.AllowHttp = true,
            services: s => s.AddSingleton<IWebhookSubscriptionNotifications>(hook),
            webhooks: o => o.RetryDelays = [TimeSpan.Zero, TimeSpan.FromDays(2.5), TimeSpan.FromDays(2.5), TimeSpan.FromDays(2.5)]);
        using var _ = SubscriptionTestHost.AsJohnDoe();
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: receiver.Url.ToString(), events: "activity_log.user.*"))).Subscription.Id;
        var start = host.Time.GetUtcNow();

        host.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", 1, "U"));
        await receiver.NextAsync();
        (await WaitForAsync(host, id, s => s.FailingSince is not null)).FailingSince.Should().BeCloseTo(start, TimeSpan.FromSeconds(1));

        // Two retries, 2.5 days apart: the second comes five days after the first failure. The clock moves only once
        // the engine has scheduled the retry (its log line follows the outbox write): a clock moved while the response
        // is still being handled would push the retry past the end of the advance, and nothing would ever arrive.
        for (int attempt = 2; attempt <= 3; attempt++)
        {
            await WaitForRetriesScheduledAsync(host, attempt - 1);
            await AdvanceAsync(host, TimeSpan.FromDays(2.5));
            await receiver.NextAsync();
        }

        var disabled = await WaitForAsync(host, id, s => !s.Enabled);
        disabled.DisabledReason.Should().Be("failing");
        (await host.SentencesAsync("acme")).Should().Contain("ActivityLog disabled the webhook Logging after 5 days of failed deliveries.");
        var notice = await hook.Notice.Task.WaitAsync(TimeSpan.FromSeconds(30));
        notice.Should().BeEquivalentTo(new { AccountId = "acme", SubscriptionId = id, Description = "Logging", UrlHost = "127.0.0.1", Reason = "failing" });
        host.Logs.GetSnapshot().Should().Contain(r => r.Id.Id == 4113);

        // Disabled: nothing more is sent, the work is kept for the admin to resume.
        await AdvanceAsync(host, TimeSpan.FromDays(3));
        receiver.Requests.Should().HaveCount(3);
        (await host.Outbox.CountPendingAsync(IWebhookDeliveryControl.DestinationOf(id))).Should().Be(1);
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_at_connect_time_and_the_attempt_says_so()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // Loopback refused for tenants (the default); plain http allowed so that only the address rule is tested.
        await using var host = await SubscriptionTestHost.StartAsync(s => { s.AllowHttp = true; s.AllowLoopback = false; });
        // What DNS rebinding produces: a subscription that passed the save-time check, whose name now resolves to
        // loopback. Stored directly, since the manager (rightly) refuses it at save time.
        var now = host.Time.GetUtcNow();
        var subscription = new ActivitySubscription
        {
            Id = Guid.CreateVersion7(),
            AccountId = "acme",
            Description = "Rebound",
            Url = $"http://localhost:{receiver.Port}/hooks",
            Format = "json",
            Events = ["activity_log.user.*"],
            ProtectedSecrets = host.Protector.Protect([new WebhookSecret(WebhookSecretProtector.NewSecret(), null)]),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await host.Store.AddAsync(subscription);
        host.Services.GetRequiredService<IWebhookDeliveryControl>().SubscriptionChanged(subscription);

        host.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", 1, "U"), accountId: "acme");

        var attempt = await WaitForAttemptAsync(host, subscription.Id);
        attempt.Succeeded.Should().BeFalse();
        attempt.Error.Should().Contain("connection failed").And.Contain("loopback").And.NotContain("/hooks");
        receiver.Requests.Should().BeEmpty("the connection was never opened");
    }

    private static WebhookSignatureVerifier Verifier(string secret, SubscriptionTestHost host) => new([secret], timeProvider: host.Time);

    private static async Task AdvanceAsync(SubscriptionTestHost host, TimeSpan by)
    {
        // In paced steps: each timer that falls due runs before the clock moves on.
        var step = TimeSpan.FromHours(6);
        for (var moved = TimeSpan.Zero; moved < by; moved += step)
        {
            host.Time.Advance(by - moved < step ? by - moved : step);
            await Task.Delay(20);
        }
    }

    private static async Task<ActivitySubscription> WaitForAsync(SubscriptionTestHost host, Guid id, Func<ActivitySubscription, bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var stored = await host.Store.FindAsync("acme", id);
            if (stored is not null && condition(stored))
            {
                return stored;
            }

            DateTime.UtcNow.Should().BeBefore(until, "the subscription's state should have moved");
            await Task.Delay(20);
        }
    }

    private static async Task WaitForRetriesScheduledAsync(SubscriptionTestHost host, int count)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (host.Logs.GetSnapshot().Count(r => r.Id.Id == 4102) < count)
        {
            DateTime.UtcNow.Should().BeBefore(until, "the engine should have scheduled retry {0}", count);
            await Task.Delay(20);
        }
    }

    private static async Task<WebhookDeliveryAttempt> WaitForAttemptAsync(SubscriptionTestHost host, Guid id)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await host.Manager.ListAttemptsAsync("acme", id) is [var attempt, ..])
            {
                return attempt;
            }

            DateTime.UtcNow.Should().BeBefore(until, "the attempt should be in the history");
            await Task.Delay(50);
        }
    }

    private sealed class RecordingHook : IWebhookSubscriptionNotifications
    {
        public TaskCompletionSource<WebhookSubscriptionDisabled> Notice { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task OnSubscriptionDisabledAsync(WebhookSubscriptionDisabled notice, CancellationToken cancellationToken)
        {
            Notice.TrySetResult(notice);
            return Task.CompletedTask;
        }
    }
}

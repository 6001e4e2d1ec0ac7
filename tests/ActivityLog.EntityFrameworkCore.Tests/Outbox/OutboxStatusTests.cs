using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using static ActivityLog.EntityFrameworkCore.Tests.Outbox.OutboxTestHost;

namespace ActivityLog.EntityFrameworkCore.Tests.Outbox;

/// <summary>
/// Issue 12, item 8: <see cref="IActivityOutbox.GetStatusAsync"/> on the EF Core store (pending count, the oldest
/// pending delivery's age, dead letters), and the health check reading it for every registered subscriber.
/// </summary>
public sealed class OutboxStatusTests
{
    private const string Destination = "webhooks:siem";

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_status_counts_pending_deliveries_dates_the_oldest_and_counts_dead_letters(DatabaseProvider provider)
    {
        await using var host = await CreateAsync(provider, new TestSubscriber(Destination), new TestSubscriber("webhooks:other"));
        var outbox = host.Outbox;
        (await outbox.GetStatusAsync(Destination)).Should().Be(new ActivityOutboxStatus(0, null, 0));

        await host.WriteAsync(3, "a");
        host.Time.Advance(TimeSpan.FromMinutes(2));
        await host.WriteAsync(2, "b");

        (await outbox.GetStatusAsync(Destination)).Should().Be(new ActivityOutboxStatus(5, Start, 0));

        var first = await outbox.ClaimAsync(Destination, Claim(maxEvents: 3));
        await outbox.DeadLetterAsync(first!, "HTTP 400 (not retried)");

        (await outbox.GetStatusAsync(Destination)).Should().Be(new ActivityOutboxStatus(2, Start.AddMinutes(2), 1), "the dead letter's deliveries are no longer pending");

        var rest = await outbox.ClaimAsync(Destination, Claim());
        await outbox.CompleteAsync(rest!);

        (await outbox.GetStatusAsync(Destination)).Should().Be(new ActivityOutboxStatus(0, null, 1));
        (await outbox.GetStatusAsync("webhooks:other")).Should().Be(new ActivityOutboxStatus(5, Start, 0), "another destination's deliveries are its own");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_health_check_degrades_on_an_old_backlog_and_on_dead_letters_of_the_store_outbox(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "outbox_health");
        // The host has an outbox subscriber, so its model maps the outbox tables: create them as that model has them.
        await using (var schema = new StoreTestContext(StoreTestSupport.OptionsWithDeliveries<StoreTestContext>(database)))
        {
            await schema.Database.EnsureCreatedAsync();
        }

        var time = new FakeTimeProvider(Start);
        using var host = await StoreTestSupport.StartHostAsync<StoreTestContext>(database, _ => { }, services: s =>
        {
            s.AddSingleton<TimeProvider>(time);
            s.AddSingleton<IActivityOutboxSubscriber>(new TestSubscriber(Destination));
            s.AddHealthChecks().AddActivityLog(configure: o => o.OutboxBacklogAgeDegraded = TimeSpan.FromMinutes(5));
        });
        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();
        recorder.Record("activity_log.webhook.updated", new ActivityResource("webhook", 1));
        await dispatcher.FlushAsync();

        var young = await CheckAsync(host);
        young.Status.Should().Be(HealthStatus.Healthy);
        young.Data[$"outbox.{Destination}.pending"].Should().Be(1L);
        young.Data[$"outbox.{Destination}.oldest_pending_seconds"].Should().Be(0.0);

        time.Advance(TimeSpan.FromMinutes(6));
        var old = await CheckAsync(host);
        old.Status.Should().Be(HealthStatus.Degraded);
        old.Description.Should().Contain($"the oldest delivery for {Destination} waits since");
        old.Data[$"outbox.{Destination}.oldest_pending_seconds"].Should().Be(360.0);

        var outbox = host.Services.GetRequiredService<IActivityOutbox>();
        await outbox.DeadLetterAsync((await outbox.ClaimAsync(Destination, Claim()))!, "HTTP 400 (not retried)");
        var dead = await CheckAsync(host);
        dead.Status.Should().Be(HealthStatus.Degraded);
        dead.Description.Should().Contain($"1 dead-lettered batch(es) for {Destination}").And.NotContain("oldest delivery");
        dead.Data[$"outbox.{Destination}.pending"].Should().Be(0L);

        // The pipeline's own waits (batch delay, retry back-off, the drain's timeout) run on the fake clock, which this
        // test moved by hand: keep it moving, in paced steps, until the stop completes, so no wait is left unexpired.
        var stop = host.StopAsync();
        for (int i = 0; i < 3_000 && !stop.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(stop, Task.Delay(10));
        }

        stop.IsCompleted.Should().BeTrue("the host stops once its fake-clock waits expire");
        await stop;
    }

    private static async Task<HealthReportEntry> CheckAsync(IHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["activitylog"];
}

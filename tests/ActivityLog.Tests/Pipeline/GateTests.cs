using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ActivityLog.Tests.Pipeline;

public sealed class GateTests
{
    [Fact]
    public async Task An_account_that_is_not_enabled_records_nothing_and_is_looked_up_once_per_batch()
    {
        var lookups = new List<string?>();
        await using var host = await ActivityLogTestHost.StartAsync(log => log.UseGate((account, _) =>
        {
            lock (lookups)
            {
                lookups.Add(account);
            }

            return ValueTask.FromResult(account is "enterprise" or null);
        }));
        using var gated = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), ActivityLogDiagnostics.MeterName, "activitylog.events.gated");

        for (int i = 0; i < 10; i++)
        {
            host.Recorder.Record("activity_log.domain.added", accountId: "free", resource: new ActivityResource("domain", i));
            host.Recorder.Record("activity_log.domain.added", accountId: "enterprise", resource: new ActivityResource("domain", i));
        }

        host.Recorder.Record("activity_log.user.login_failed", resource: new ActivityResource("user", 1, "John Doe"));
        var events = await host.Capture.FlushAsync();

        events.Should().HaveCount(11);
        events.Where(e => e.AccountId is not null).Should().OnlyContain(e => e.AccountId == "enterprise");
        lookups.Should().BeEquivalentTo(new string?[] { "free", "enterprise", null }, "one lookup per account per batch");
        gated.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(10);
        host.Dispatcher.DroppedCount.Should().Be(0, "gated events are not losses");
    }

    [Fact]
    public async Task A_gate_that_throws_keeps_the_events()
    {
        await using var host = await ActivityLogTestHost.StartAsync(log => log.UseGate((_, _) => throw new InvalidOperationException("plan service down")));

        host.Recorder.Record("activity_log.domain.added", accountId: "acme", resource: new ActivityResource("domain", 1));
        var events = await host.Capture.FlushAsync();

        events.Should().ContainSingle().Which.AccountId.Should().Be("acme");
    }
}

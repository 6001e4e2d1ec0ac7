using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ActivityLog.Tests.Pipeline;

/// <summary>
/// <see cref="ActivityLogOptions.MissingAccount"/>: a multi-account host never stores an event without an account
/// silently. Drop counts and logs it, Throw refuses it at <c>Record</c>, Allow (and a single-account host) stores it.
/// </summary>
public sealed class MissingAccountTests
{
    private static Task<ActivityLogTestHost> StartAsync(ActivityMissingAccountMode? mode) =>
        ActivityLogTestHost.StartAsync(b => b.Configure(o => o.MissingAccount = mode), null, start: true, services => services.AddFakeLogging());

    [Fact]
    public async Task Drop_counts_and_logs_an_event_without_an_account_and_keeps_the_others()
    {
        await using var host = await StartAsync(ActivityMissingAccountMode.Drop);
        using var dropped = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "ActivityLog", "activitylog.events.dropped");

        host.Recorder.Record("activity_log.user.updated", actor: ActivityActor.User(1, "Jane"));
        host.Recorder.Record("activity_log.user.created", accountId: "acct-a");
        using (ActivityScope.Begin(ActivityActor.User(2, "John"), accountId: "acct-b"))
        {
            host.Recorder.Record("activity_log.user.deleted");
        }

        using (ActivityScope.Begin(ActivityActor.User(3, "Signed in, no account")))
        {
            host.Recorder.Record("activity_log.domain.added");
        }

        var stored = await host.Capture.FlushAsync();

        stored.Select(e => (e.Name, e.AccountId)).Should().BeEquivalentTo([("activity_log.user.created", "acct-a"), ("activity_log.user.deleted", "acct-b")]);
        dropped.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(2);
        dropped.GetMeasurementSnapshot().Should().OnlyContain(m => (string?)m.Tags["reason"] == "missing_account");
        host.Dispatcher.DroppedCount.Should().Be(2);
        host.Services.GetFakeLogCollector().GetSnapshot()
            .Where(r => r.Level == LogLevel.Warning && r.Message.Contains("without an account", StringComparison.Ordinal))
            .Should().NotBeEmpty("a dropped event is logged, never lost silently");
    }

    [Fact]
    public async Task Throw_refuses_at_Record_naming_accountId_and_never_for_an_event_with_an_ambient_account()
    {
        await using var host = await StartAsync(ActivityMissingAccountMode.Throw);

        var record = () => host.Recorder.Record("activity_log.user.updated", actor: ActivityActor.User(1, "Jane"));
        record.Should().Throw<ArgumentException>().WithMessage("*no account*").Which.ParamName.Should().Be("accountId");

        using (ActivityScope.Begin(accountId: "acct-a"))
        {
            host.Recorder.Record("activity_log.user.updated");
        }

        (await host.Capture.FlushAsync()).Should().ContainSingle().Which.AccountId.Should().Be("acct-a");
    }

    [Theory]
    [InlineData(ActivityMissingAccountMode.Allow)]
    [InlineData(null)]
    public async Task Allow_and_the_single_account_default_store_an_event_without_an_account(ActivityMissingAccountMode? mode)
    {
        await using var host = await StartAsync(mode);

        host.Recorder.Record("activity_log.user.updated");

        (await host.Capture.FlushAsync()).Should().ContainSingle().Which.AccountId.Should().BeNull();
        host.Dispatcher.DroppedCount.Should().Be(0);
    }

    [Fact]
    public async Task An_unknown_mode_fails_at_start()
    {
        await using var host = await ActivityLogTestHost.StartAsync(b => b.Configure(o => o.MissingAccount = (ActivityMissingAccountMode)42), null, start: false);
        var start = () => host.Host.StartAsync();

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).WithMessage("*MissingAccount*");
    }
}

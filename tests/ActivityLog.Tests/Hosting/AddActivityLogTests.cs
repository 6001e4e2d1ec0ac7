using System.Diagnostics;
using ActivityLog.Extensibility;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ActivityLog.Tests.Hosting;

public sealed class AddActivityLogTests
{
    [Fact]
    public void Calling_AddActivityLog_twice_registers_each_service_once_and_keeps_both_configurations()
    {
        var services = new ServiceCollection();
        services.AddActivityLog(o => o.QueueCapacity = 123);
        services.AddActivityLog(o => o.MaxBatchSize = 45).AddCapture().AddCapture();

        services.Count(d => d.ServiceType == typeof(IActivityRecorder)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IHostedService)).Should().Be(1);
        using var provider = services.BuildServiceProvider();
        provider.GetServices<IActivitySink>().Should().ContainSingle();
        var options = provider.GetRequiredService<IOptions<ActivityLogOptions>>().Value;
        options.QueueCapacity.Should().Be(123);
        options.MaxBatchSize.Should().Be(45);
    }

    [Fact]
    public async Task Invalid_options_fail_when_the_host_starts_and_name_the_setting()
    {
        await using var host = await ActivityLogTestHost.StartAsync(
            log => log.Configure(o =>
            {
                o.QueueCapacity = 0;
                o.QueueFullTimeout = TimeSpan.Zero;
            }),
            null,
            start: false);

        var start = () => host.Host.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Message.Should().Contain("QueueCapacity").And.Contain("QueueFullTimeout");
    }

    [Fact]
    public async Task A_malformed_template_from_configuration_fails_at_start()
    {
        await using var host = await ActivityLogTestHost.StartAsync(
            log => log.ConfigureDescriptions(d => d.Templates["activity_log.user.updated"] = "updated {resource.colour}"),
            null,
            start: false);

        var start = () => host.Host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("resource.colour");
    }

    [Fact]
    public async Task Options_templates_and_redaction_rules_bind_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ActivityLog:QueueCapacity"] = "2048",
            ["ActivityLog:QueueFullMode"] = "DropNewest",
            ["ActivityLog:BatchDelay"] = "00:00:00.050",
            ["ActivityLog:SinkRetry:MaxRetryAttempts"] = "3",
            ["ActivityLog:Descriptions:Templates:activity_log.user.updated"] = "updated the user profile",
            ["ActivityLog:Descriptions:Cultures:de:activity_log.user.updated"] = "hat das Benutzerprofil aktualisiert",
            ["ActivityLog:Redaction:Filters:0"] = "nickname",
            ["ActivityLog:Redaction:ResourceTypeFilters:user:0"] = "name",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        services.AddActivityLog(configuration.GetSection(ActivityLogOptions.SectionName)).AddCapture();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ActivityLogOptions>>().Value;
        options.QueueCapacity.Should().Be(2048);
        options.QueueFullMode.Should().Be(ActivityQueueFullMode.DropNewest);
        options.BatchDelay.Should().Be(TimeSpan.FromMilliseconds(50));
        options.SinkRetry.MaxRetryAttempts.Should().Be(3);

        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(default);
        provider.GetRequiredService<IActivityRecorder>().Record(
            "activity_log.user.updated",
            resource: new ActivityResource("user", "7", "Jane"),
            changes: [ActivityChange.Of("name", "Jane", "Janet"), ActivityChange.Of("nickname", "J", "JJ"), ActivityChange.Of("plan", "free", "pro")]);
        var captured = await provider.GetRequiredService<ActivityLog.Testing.CapturingActivitySink>().FlushAsync();
        await hosted.StopAsync(default);

        var activity = captured.Should().ContainSingle().Subject;
        activity.Description.Should().Be("updated the user profile");
        activity.Changes.Should().Equal(
            ActivityChange.Of("name", "[FILTERED]", "[FILTERED]"),
            ActivityChange.Of("nickname", "[FILTERED]", "[FILTERED]"),
            ActivityChange.Of("plan", "free", "pro"));
        provider.GetRequiredService<ActivityLog.ActivityDescriptionFormatter>()
            .Describe(activity, System.Globalization.CultureInfo.GetCultureInfo("de-DE"))
            .Should().Be("hat das Benutzerprofil aktualisiert");
    }

    [Fact]
    public async Task The_ambient_scope_supplies_actor_account_and_context_and_the_trace_becomes_the_correlation_id()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        using var source = new ActivitySource("ActivityLog.Tests");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "ActivityLog.Tests",
            Sample = (ref ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        string traceId;
        using (var request = source.StartActivity("request"))
        using (ActivityScope.Begin(ActivityActor.User(42, "John Doe"), "acme", new ActivityLog.ActivityRequestContext { IpAddress = "203.0.113.7" }))
        {
            traceId = request!.TraceId.ToHexString();
            using (ActivityScope.Begin(context: new ActivityLog.ActivityRequestContext { UserAgent = "curl/8" }))
            {
                host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "1", "example.com"));
            }

            host.Recorder.Record("activity_log.domain.added", actor: ActivityActor.System("Nightly cleanup"), accountId: "other",
                resource: new ActivityResource("domain", "2", "example.org"), context: new ActivityLog.ActivityRequestContext { CorrelationId = "req-1" });
        }

        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "3"));
        var events = await host.Capture.FlushAsync();

        events[0].Actor.Should().Be(ActivityActor.User(42, "John Doe"));
        events[0].AccountId.Should().Be("acme");
        events[0].Context.Should().Be(new ActivityLog.ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "curl/8", CorrelationId = traceId });
        events[1].Actor.Name.Should().Be("Nightly cleanup");
        events[1].AccountId.Should().Be("other");
        events[1].Context!.CorrelationId.Should().Be("req-1", "an explicit correlation id wins over the trace");
        events[1].Context!.IpAddress.Should().Be("203.0.113.7");
        events[2].Actor.IsUnknown.Should().BeTrue("outside any scope the actor is unknown");
        events[2].AccountId.Should().BeNull();
        events[2].Context.Should().BeNull();
    }
}

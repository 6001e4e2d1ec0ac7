using ActivityLog.Tests.Support;

namespace ActivityLog.Tests.Recording;

public sealed class ActivityScopeCollectorTests
{
    private sealed class ListCollector : IActivityLogEventCollector
    {
        public List<ActivityLogEvent> Events { get; } = [];

        public void Collect(ActivityLogEvent activityEvent) => Events.Add(activityEvent);
    }

    [Fact]
    public async Task Events_recorded_in_a_collecting_scope_go_to_the_collector_not_the_queue()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var collector = new ListCollector();

        using (ActivityScope.Begin(ActivityActor.User(7, "Jane"), accountId: "acme"))
        using (ActivityScope.BeginCollecting(collector))
        {
            host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "1", "example.com"));
        }

        host.Recorder.Record("activity_log.domain.removed", resource: new ActivityResource("domain", "1", "example.com"));
        await host.Dispatcher.FlushAsync();

        collector.Events.Should().ContainSingle();
        var collected = collector.Events[0];
        collected.Name.Should().Be("activity_log.domain.added");
        collected.Actor.Should().Be(ActivityActor.User(7, "Jane"), "the collecting scope inherits the ambient actor");
        collected.AccountId.Should().Be("acme");
        collected.Id.Should().Be(Guid.Empty, "the collector gets the event before the pipeline ran");
        host.Capture.Events.Select(e => e.Name).Should().Equal("activity_log.domain.removed");
    }

    [Fact]
    public async Task Nested_scopes_keep_the_collector_and_disposing_it_restores_the_queue()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var collector = new ListCollector();

        var collecting = ActivityScope.BeginCollecting(collector);
        using (ActivityScope.Begin(accountId: "inner"))
        {
            ActivityScope.Current!.Collector.Should().BeSameAs(collector);
            host.Recorder.Record("activity_log.user.updated");
        }

        collecting.Dispose();
        ActivityScope.Current.Should().BeNull();
        host.Recorder.Record("activity_log.user.deleted");
        await host.Dispatcher.FlushAsync();

        collector.Events.Should().ContainSingle().Which.AccountId.Should().Be("inner");
        host.Capture.Events.Select(e => e.Name).Should().Equal("activity_log.user.deleted");
    }

    [Fact]
    public void A_null_collector_is_refused()
    {
        var act = () => ActivityScope.BeginCollecting(null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("collector");
    }

    [Fact]
    public async Task Invalid_input_still_throws_inside_a_collecting_scope()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var collector = new ListCollector();

        using (ActivityScope.BeginCollecting(collector))
        {
            var act = () => host.Recorder.Record("not-an-event-name");
            act.Should().Throw<ArgumentException>();
        }

        collector.Events.Should().BeEmpty();
    }
}

using ActivityLog.Extensibility;
using ActivityLog.Testing.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Testing.Tests;

public sealed class CapturingActivitySinkTests
{
    [Fact]
    public async Task Captured_events_are_the_processed_ones_with_id_description_and_redaction()
    {
        await using var host = await CaptureHost.StartAsync();

        host.Recorder.Record(
            "activity_log.user.updated",
            actor: ActivityActor.User(7, "Jane Doe"),
            resource: new ActivityResource("user", 7, "Jane Doe"),
            changes: [ActivityChange.Of("password", "old-secret", "new-secret"), ActivityChange.Of("plan", "free", "pro")]);
        var events = await host.Capture.FlushAsync();

        var activity = events.Should().ContainSingle().Subject;
        activity.Id.Should().NotBe(Guid.Empty, "the pipeline stamps an id before any sink sees the event");
        activity.Description.Should().Be("updated the user Jane Doe");
        activity.Timestamp.Should().Be(CaptureHost.Start);
        activity.Changes.Should().Equal(
            ActivityChange.Of("password", "[FILTERED]", "[FILTERED]"),
            ActivityChange.Of("plan", "free", "pro"));
        host.Capture.Events.Should().Equal(events);
        host.Capture.BatchCount.Should().Be(1);
    }

    [Fact]
    public async Task One_flush_delivers_every_event_recorded_before_it()
    {
        await using var host = await CaptureHost.StartAsync();

        for (int i = 0; i < 1_000; i++)
        {
            host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", i));
        }

        var events = await host.Capture.FlushAsync();

        events.Should().HaveCount(1_000);
        events.Select(e => e.Resource!.Value.Id).Should().Equal(Enumerable.Range(0, 1_000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "the sink receives events in the order they were recorded");
        events.Select(e => e.Id).Should().OnlyHaveUniqueItems();
        host.Capture.BatchCount.Should().BeGreaterThanOrEqualTo(2, "1,000 events exceed the default batch size of 500");
    }

    [Fact]
    public async Task Flush_returns_a_snapshot_that_later_recording_does_not_change()
    {
        await using var host = await CaptureHost.StartAsync();
        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "1"));
        var first = await host.Capture.FlushAsync();

        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "2"));
        var second = await host.Capture.FlushAsync();

        first.Should().ContainSingle();
        second.Select(e => e.Resource!.Value.Id).Should().Equal("1", "2");
    }

    [Fact]
    public async Task Clear_forgets_every_captured_event_and_batch()
    {
        await using var host = await CaptureHost.StartAsync();
        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "1"));
        (await host.Capture.FlushAsync()).Should().ContainSingle();

        host.Capture.Clear();

        host.Capture.Events.Should().BeEmpty();
        host.Capture.BatchCount.Should().Be(0);
        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "2"));
        (await host.Capture.FlushAsync()).Should().ContainSingle().Which.Resource!.Value.Id.Should().Be("2");
    }

    [Fact]
    public async Task AddCapture_twice_registers_one_sink_that_receives_each_event_once()
    {
        await using var host = await CaptureHost.StartAsync(log => log.AddCapture());

        host.Services.GetServices<IActivitySink>().Should().ContainSingle();
        host.Services.GetRequiredService<CapturingActivitySink>().Should().BeSameAs(host.Capture);
        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "1"));

        (await host.Capture.FlushAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task A_capture_made_with_the_parameterless_constructor_cannot_flush()
    {
        var capture = new CapturingActivitySink();

        var flush = () => capture.FlushAsync();

        (await flush.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("no dispatcher");
    }

    [Fact]
    public async Task Flushing_before_the_host_starts_throws()
    {
        await using var host = await CaptureHost.StartAsync(start: false);
        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "1"));

        var flush = () => host.Capture.FlushAsync();

        (await flush.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("start the host");
        host.Capture.Events.Should().BeEmpty();
    }

    [Fact]
    public async Task WriteBatchAsync_keeps_events_in_order_and_counts_batches()
    {
        var capture = new CapturingActivitySink();
        var a = new ActivityLogEvent { Name = "activity_log.domain.added" };
        var b = new ActivityLogEvent { Name = "activity_log.domain.removed" };
        var c = new ActivityLogEvent { Name = "activity_log.domain.updated" };

        await capture.WriteBatchAsync([a, b], CancellationToken.None);
        await capture.WriteBatchAsync([c], CancellationToken.None);

        capture.Events.Should().Equal(a, b, c);
        capture.BatchCount.Should().Be(2);
    }
}

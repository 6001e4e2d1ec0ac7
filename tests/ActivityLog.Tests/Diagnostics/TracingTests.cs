using System.Diagnostics;
using ActivityLog.Tests.Support;

using ActivityLog.Tests.Shared.Diagnostics;

namespace ActivityLog.Tests.Diagnostics;

/// <summary>
/// Issue 12, item 8: the pipeline traces on the <see cref="ActivityLogDiagnostics.ActivitySourceName"/> source, seen
/// here by a real <see cref="ActivityListener"/>: a span per batch dispatch, a child span per sink write, tagged with
/// the sink and the batch size, failures marked with the exception type only, never event contents.
/// </summary>
public sealed class TracingTests : IDisposable
{
    private const string Name = "activity_log.item.created";
    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task A_dispatch_span_per_batch_holds_a_write_span_per_sink_with_its_name_and_size()
    {
        var sink = new SwitchableSink();
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(sink));
        using (var request = new Activity("request").Start())
        {
            // Recorded inside a request's span: the dispatch must not hang under it (nor under the host's start).
            for (int i = 0; i < 3; i++)
            {
                host.Recorder.Record(Name, new ActivityResource("item", i, "secret-name"));
            }
        }

        await host.Dispatcher.FlushAsync();

        var write = WritesOf(sink.Name).Should().ContainSingle().Subject;
        write.OperationName.Should().Be("activitylog.sink.write");
        write.GetTagItem("activitylog.batch.size").Should().Be(3);
        write.GetTagItem("activitylog.outcome").Should().Be("written");
        write.Status.Should().Be(ActivityStatusCode.Unset);
        var dispatch = _spans.Stopped.Should().ContainSingle(a => a.SpanId == write.ParentSpanId).Subject;
        dispatch.OperationName.Should().Be("activitylog.dispatch");
        dispatch.Source.Name.Should().Be(ActivityLogDiagnostics.ActivitySourceName);
        dispatch.TraceId.Should().Be(write.TraceId);
        dispatch.ParentSpanId.Should().Be(default(ActivitySpanId), "a batch mixes many requests' events: it is a trace of its own");
        dispatch.GetTagItem("activitylog.batch.size").Should().Be(3);
        dispatch.GetTagItem("activitylog.outcome").Should().Be("dispatched");
        var captureWrite = _spans.Stopped.Should().ContainSingle(a => a.ParentSpanId == dispatch.SpanId && (string?)a.GetTagItem("activitylog.sink") == "CapturingActivitySink").Subject;
        captureWrite.GetTagItem("activitylog.batch.size").Should().Be(3);
        AllTagValues(dispatch, write, captureWrite).Should().NotContain(v => v.Contains("secret-name", StringComparison.Ordinal) || v.Contains("item", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_sink_write_is_an_error_span_that_names_the_exception_type_but_not_its_message()
    {
        var sink = new SwitchableSink { Failing = true };
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(sink).Configure(o => o.SinkRetry.MaxRetryAttempts = 0));
        host.Recorder.Record(Name, new ActivityResource("item", 1));

        await host.Dispatcher.FlushAsync();

        var write = WritesOf(sink.Name).Should().ContainSingle().Subject;
        write.Status.Should().Be(ActivityStatusCode.Error);
        write.StatusDescription.Should().Be(nameof(InvalidOperationException));
        write.GetTagItem("error.type").Should().Be(typeof(InvalidOperationException).FullName);
        write.GetTagItem("activitylog.outcome").Should().Be("failed");
        AllTagValues(write).Should().NotContain(v => v.Contains(SwitchableSink.SecretInMessage, StringComparison.Ordinal));
        write.Events.Should().BeEmpty("an exception event would carry the message");
    }

    [Fact]
    public async Task A_rejected_write_is_marked_rejected_and_the_retried_rest_gets_a_span_of_its_own()
    {
        var sink = new SwitchableSink { Rejecting = true };
        await using var host = await ActivityLogTestHost.StartAsync(log => log.AddSink(sink));
        host.Recorder.Record(Name, new ActivityResource("item", 1));

        await host.Dispatcher.FlushAsync();

        var write = WritesOf(sink.Name).Should().ContainSingle().Subject;
        write.GetTagItem("activitylog.outcome").Should().Be("rejected");
        write.GetTagItem("error.type").Should().Be(typeof(Extensibility.ActivityLogEventRejectedException).FullName);
        host.Dispatcher.QuarantinedCount.Should().Be(1);
    }

    private List<Activity> WritesOf(string sink) =>
        [.. _spans.Stopped.Where(a => a.OperationName == "activitylog.sink.write" && (string?)a.GetTagItem("activitylog.sink") == sink)];

    private static IEnumerable<string> AllTagValues(params Activity[] spans) =>
        spans.SelectMany(s => s.TagObjects.Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "").Append(s.StatusDescription ?? "").Append(s.DisplayName));
}

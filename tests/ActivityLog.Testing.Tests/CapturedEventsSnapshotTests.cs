using ActivityLog.Serialization;
using ActivityLog.Testing.Tests.Support;

namespace ActivityLog.Testing.Tests;

/// <summary>
/// The committed snapshot Snapshots/captured-events.verified.json: two events captured from a real host and
/// rendered with every optional field. To change it on purpose, run with ACTIVITYLOG_ACCEPT_SNAPSHOTS=1 and review the diff.
/// </summary>
[Collection(SnapshotFiles.Name)]
public sealed class CapturedEventsSnapshotTests
{
    [Fact]
    public async Task Captured_events_render_to_the_committed_snapshot()
    {
        await using var host = await CaptureHost.StartAsync(log => log
            .AddDescription("activity_log.webhook.removed", "removed the webhook {resource.name} from {related.name}"));

        host.Recorder.Record(
            "activity_log.domain.added",
            resource: new ActivityResource("domain", 10, "example.com"));
        host.Time.Advance(TimeSpan.FromMinutes(1));
        host.Recorder.Record(
            "activity_log.webhook.removed",
            actor: ActivityActor.User(783, "Jöhn Doe"),
            resource: new ActivityResource("webhook", "14", "Logging"),
            related: [new ActivityResource("sending_stream", "15", "Transactional")],
            changes: [ActivityChange.Of("url", "https://example.com/hook", null), ActivityChange.Of("signing_secret", "s3cr3t", null)],
            accountId: "acme",
            context: new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "curl/8.5.0", AuthMethod = "GitHub" },
            metadata: new Dictionary<string, object?> { ["request_path"] = "/webhooks/14", ["retries"] = 2 });
        var events = await host.Capture.FlushAsync();

        string rendered = ActivitySnapshot.Render(events, new ActivitySnapshotOptions
        {
            Fields = ActivityJsonFields.All,
            ScrubTimestamps = false,
        });

        events.Should().HaveCount(2);
        SnapshotAssert.Matches(rendered, "captured-events");
    }
}

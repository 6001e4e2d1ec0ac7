using System.Text;
using ActivityLog.Serialization;
using ActivityLog.Testing;
using ActivityLog.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Tests.Contract;

/// <summary>The seed's webhook payload and its six sentences, produced through the public API only.</summary>
public sealed class SeedContractTests
{
    // DESIGN.md §3, compact: the seed payload exactly.
    private const string SeedPayload = """{"events":[{"event":"activity_log.user.updated","description":"updated the user profile","actor":{"id":783,"type":"user","name":"Jane Doe"},"resource":{"id":"783","type":"user","name":"Jane Doe"},"changes":{"name":{"to":"[FILTERED]","from":"[FILTERED]"}},"timestamp":1733739084}]}""";

    [Fact]
    public async Task The_seed_payload_comes_out_byte_for_byte_from_an_event_recorded_through_the_public_API()
    {
        await using var host = await ActivityLogTestHost.StartAsync(
            log => log
                .AddDescription("activity_log.user.updated", "updated the user profile")
                .ConfigureRedaction(redaction => redaction.FilterResourceFields("user", "name")),
            new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1733739084)));

        host.Recorder.Record(
            "activity_log.user.updated",
            actor: ActivityActor.User(783, "Jane Doe"),
            resource: new ActivityResource("user", 783, "Jane Doe"),
            changes: [ActivityChange.Of("name", "Jane", "Jane Doe")]);

        var events = await host.Capture.FlushAsync();

        Encoding.UTF8.GetString(ActivityJsonSerializer.SerializePayload(events)).Should().Be(SeedPayload);
        SnapshotAssert.Matches(ActivitySnapshot.Render(events, new ActivitySnapshotOptions { ScrubTimestamps = false }), "seed-payload");
    }

    [Fact]
    public async Task The_six_seed_sentences_come_out_exactly()
    {
        await using var host = await ActivityLogTestHost.StartAsync(log => log
            .AddDescription("activity_log.sandbox.deleted", "deleted a sandbox {resource.name}")
            .AddDescription("activity_log.user.invited", "invited the user {resource.name} to the account")
            .AddDescription("activity_log.user.login_failed", "attempted to log in to the user {resource.name} using {context.auth_method}")
            .AddDescription("activity_log.webhook.removed", "removed the webhook {resource.name} from {related.name}"));
        var john = ActivityActor.User(1, "John Doe");
        var recorder = host.Recorder;

        recorder.Record("activity_log.domain.added", actor: john, resource: new ActivityResource("domain", "10"));
        recorder.Record("activity_log.field.created", actor: john, resource: new ActivityResource("field", "11", "First Name"));
        recorder.Record("activity_log.sandbox.deleted", actor: john, resource: new ActivityResource("sandbox", "12", "QA"));
        recorder.Record("activity_log.user.invited", actor: john, resource: new ActivityResource("user", "13", "email@example.com"));
        recorder.Record("activity_log.user.login_failed", resource: new ActivityResource("user", 1, "John Doe"),
            context: new ActivityRequestContext { AuthMethod = "GitHub" });
        recorder.Record("activity_log.webhook.removed", actor: john, resource: new ActivityResource("webhook", "14", "Logging"),
            related: [new ActivityResource("sending_stream", "15", "Transactional")]);

        var events = await host.Capture.FlushAsync();
        var formatter = host.Services.GetRequiredService<ActivityLog.ActivityDescriptionFormatter>();

        events.Select(e => formatter.FormatSentence(e)).Should().Equal(
            "John Doe added a domain.",
            "John Doe created the field First Name.",
            "John Doe deleted a sandbox QA.",
            "John Doe invited the user email@example.com to the account.",
            "Someone attempted to log in to the user John Doe using GitHub.",
            "John Doe removed the webhook Logging from Transactional.");
    }
}

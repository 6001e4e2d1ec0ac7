using System.Globalization;
using System.Text;
using System.Text.Json;
using ActivityLog.Serialization;
using ActivityLog.Testing;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// The exact request each format and signing scheme produces (snapshots, volatile values scrubbed), with Standard
/// Webhooks signatures checked by an independent implementation (the StandardWebhooks package) and by our verifier.
/// </summary>
public sealed class HappyPathTests
{
    /// <summary>The seed payload's time: 2024-12-09T10:11:24Z.</summary>
    private static readonly DateTimeOffset SeedTime = DateTimeOffset.FromUnixTimeSeconds(1733739084);

    [Theory]
    [InlineData(WebhookPayloadFormat.Json, WebhookSigningScheme.StandardWebhooks)]
    [InlineData(WebhookPayloadFormat.Json, WebhookSigningScheme.Mailtrap)]
    [InlineData(WebhookPayloadFormat.JsonLines, WebhookSigningScheme.StandardWebhooks)]
    [InlineData(WebhookPayloadFormat.JsonLines, WebhookSigningScheme.Mailtrap)]
    public async Task Each_format_and_scheme_sends_the_exact_signed_request(WebhookPayloadFormat format, WebhookSigningScheme signing)
    {
        string secret = signing == WebhookSigningScheme.Mailtrap ? "mailtrap-signing-secret" : WebhookTestHost.Secret;
        await using var receiver = await WebhookReceiver.StartAsync();
        var time = new FakeTimeProvider(SeedTime);
        await using var host = await WebhookTestHost.StartAsync(
            o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url, e =>
            {
                e.Format = format;
                e.Signing = signing;
                e.Secret = secret;
            }),
            time,
            beforeStart: RecordSeedEvents);

        var request = await receiver.NextAsync();

        var verifier = new WebhookSignatureVerifier([secret], signing, timeProvider: time);
        verifier.Verify(request.Body, request.HeaderPairs).Should().BeTrue("our own verifier accepts what we sent");
        if (signing == WebhookSigningScheme.StandardWebhooks)
        {
            string independent = new StandardWebhook(secret).Sign(request.WebhookId, SeedTime, request.Text);
            request.Headers["webhook-signature"].Should().Be(independent, "the StandardWebhooks package computes the same signature");
        }

        if (format == WebhookPayloadFormat.Json)
        {
            request.Text.Should().StartWith("""{"events":[{"event":"activity_log.user.updated","description":"updated the user profile","actor":{"id":783,"type":"user","name":"Jane Doe"},"resource":{"id":"783","type":"user","name":"Jane Doe"},"changes":{"name":{"to":"[FILTERED]","from":"[FILTERED]"}},"timestamp":1733739084},""", "the seed payload, byte for byte");
        }
        else
        {
            request.Text.Split('\n').Should().HaveCount(3).And.EndWith("", "every line ends in a newline");
        }

        SnapshotAssert.Matches(Render(request), $"request-{format}-{signing}".ToLowerInvariant());
    }

    [Fact]
    public async Task Our_signatures_verify_with_the_StandardWebhooks_package_on_the_real_clock_including_during_a_rotation()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(
            o => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url, e => e.AdditionalSecrets.Add(WebhookTestHost.OtherSecret)),
            new FakeTimeProvider(DateTimeOffset.UtcNow));
        host.RecordUser(783);
        await host.FlushAsync();
        var request = await receiver.NextAsync();

        var headers = new HeaderDictionary();
        foreach (var (name, value) in request.Headers)
        {
            headers[name] = value;
        }

        request.Headers["webhook-signature"].Split(' ').Should().HaveCount(2).And.OnlyContain(s => s.StartsWith("v1,", StringComparison.Ordinal));
        new StandardWebhook(WebhookTestHost.Secret).Invoking(w => w.Verify(request.Text, headers)).Should().NotThrow("the current secret verifies");
        // StandardWebhooks 1.1.2's Verify only ever checks the first of several signatures (its loop ends before the
        // last one), so the rotation's second signature is checked against the package's Sign, alone in its header.
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(long.Parse(request.Headers["webhook-timestamp"], CultureInfo.InvariantCulture));
        request.Headers["webhook-signature"].Split(' ').Should().Equal(
            new StandardWebhook(WebhookTestHost.Secret).Sign(request.WebhookId, timestamp, request.Text),
            new StandardWebhook(WebhookTestHost.OtherSecret).Sign(request.WebhookId, timestamp, request.Text));
        headers["webhook-signature"] = request.Headers["webhook-signature"].Split(' ')[1];
        new StandardWebhook(WebhookTestHost.OtherSecret).Invoking(w => w.Verify(request.Text, headers)).Should().NotThrow("the other secret of the rotation verifies its own signature");
        new WebhookSignatureVerifier(WebhookTestHost.OtherSecret).Verify(request.Body, headers).Should().BeTrue("our verifier accepts the HeaderDictionary of ASP.NET Core as is");
    }

    [Fact]
    public async Task Each_endpoint_receives_only_the_events_its_filter_accepts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(
            o =>
            {
                o.Endpoints["users"] = WebhookTestHost.Endpoint(new Uri(receiver.Url, "/users"), e => e.Events.Add("activity_log.user.*"));
                o.Endpoints["domains"] = WebhookTestHost.Endpoint(new Uri(receiver.Url, "/domains"), e => e.Events.Add("activity_log.domain.added"));
                o.Endpoints["all"] = WebhookTestHost.Endpoint(new Uri(receiver.Url, "/all"));
            },
            beforeStart: recorder =>
            {
                recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", 1, "A"));
                recorder.Record("activity_log.username.changed", resource: new ActivityResource("user", 2, "B"));
                recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "d_1"));
                recorder.Record("activity_log.domain.removed", resource: new ActivityResource("domain", "d_2"));
                recorder.Record("activity_log.user.invited", resource: new ActivityResource("user", 3, "C"));
            });

        var byPath = new Dictionary<string, List<string>>();
        for (int i = 0; i < 3; i++)
        {
            var request = await receiver.NextAsync();
            byPath[request.Path] = [.. ActivityJsonSerializer.DeserializePayload(request.Body).Select(e => e.Name)];
        }

        byPath["/users"].Should().Equal("activity_log.user.updated", "activity_log.user.invited");
        byPath["/domains"].Should().Equal("activity_log.domain.added");
        byPath["/all"].Should().HaveCount(5);
    }

    [Fact]
    public async Task Batches_respect_the_event_and_byte_limits()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(
            o =>
            {
                o.Endpoints["count"] = WebhookTestHost.Endpoint(new Uri(receiver.Url, "/count"), e => e.MaxBatchEvents = 4);
                o.Endpoints["bytes"] = WebhookTestHost.Endpoint(new Uri(receiver.Url, "/bytes"), e => e.MaxBatchBytes = 1024);
            },
            beforeStart: recorder =>
            {
                for (int i = 0; i < 10; i++)
                {
                    recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", i, new string('x', 300)));
                }
            });

        var counts = new Dictionary<string, List<(int Events, int Bytes)>> { ["/count"] = [], ["/bytes"] = [] };
        while (counts.Values.Sum(l => l.Sum(b => b.Events)) < 20)
        {
            var request = await receiver.NextAsync();
            counts[request.Path].Add((ActivityJsonSerializer.DeserializePayload(request.Body).Count, request.Body.Length));
        }

        counts["/count"].Select(b => b.Events).Should().Equal(4, 4, 2);
        counts["/bytes"].Should().OnlyContain(b => b.Bytes <= 1024 && b.Events >= 1);
        counts["/bytes"].Should().HaveCountGreaterThan(3, "about 400 bytes per event, so two per KiB");
    }

    private static void RecordSeedEvents(IActivityRecorder recorder)
    {
        recorder.Record("activity_log.user.updated",
            actor: ActivityActor.User(783, "Jane Doe"),
            resource: new ActivityResource("user", 783, "Jane Doe"),
            changes: [ActivityChange.Of("name", "Jane", "Jane Doe")],
            accountId: "acme");
        recorder.Record("activity_log.webhook.removed",
            actor: ActivityActor.User(1, "John Doe"),
            resource: new ActivityResource("webhook", "w_2", "Logging"),
            related: [new ActivityResource("sending_stream", "ss_1", "Transactional")],
            accountId: "acme");
    }

    /// <summary>The request as stable JSON: the webhook id and the signatures that depend on it scrubbed, everything else exact.</summary>
    private static string Render(ReceivedRequest request)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("method", request.Method);
            writer.WriteString("path", request.Path);
            writer.WriteString("content_type", request.ContentType);
            writer.WriteStartObject("headers");
            foreach (string name in new[] { "webhook-id", "webhook-timestamp", "webhook-signature", "Mailtrap-Signature" })
            {
                if (request.Headers.TryGetValue(name, out var value))
                {
                    writer.WriteString(name.ToLowerInvariant(), name switch
                    {
                        "webhook-id" => "msg_{scrubbed}",
                        "webhook-signature" => string.Join(' ', value.Split(' ').Select(_ => "v1,{scrubbed}")),
                        _ => value,
                    });
                }
            }

            writer.WriteEndObject();
            writer.WriteString("body", request.Text);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

using System.Collections;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// No URL path or query of a webhook target is logged (issue 11, item 6): every log record of the host, at Trace level
/// and from every category (the framework's HTTP logging, Polly, ours), is searched for a secret planted in the path
/// and the query, through successful, failing, retried, dead-lettered and unreachable deliveries.
/// </summary>
public sealed class SecretsInLogsTests
{
    private const string PathSecret = "s3cr3t-path-7f1c";
    private const string QuerySecret = "s3cr3t-query-9a2b";

    [Fact]
    public async Task A_secret_in_the_URL_path_or_query_appears_in_no_log_message_scope_state_or_exception()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        // A receiver that echoes the request path in its error bodies, as some do.
        receiver.Respond = request => Interlocked.Increment(ref calls) switch
        {
            1 => new ReceiverResponse(500, Body: $"no_service {request.Path}"),
            2 => new ReceiverResponse(200),
            _ => new ReceiverResponse(404, Body: $"Cannot POST {request.Path}"),
        };
        var slack = new Uri(receiver.Url, $"/services/T0AAAA/B0BBBB/{PathSecret}?token={QuerySecret}");
        int closedPort;
        await using (var probe = await WebhookReceiver.StartAsync())
        {
            closedPort = probe.Port;
        }

        var down = new Uri($"http://127.0.0.1:{closedPort}/services/T0CCCC/{PathSecret}?token={QuerySecret}");
        await using var host = await WebhookTestHost.StartAsync(
            o =>
            {
                o.Endpoints["slack"] = WebhookTestHost.Endpoint(slack, e => e.Events.Add("activity_log.user.*"));
                o.Endpoints["down"] = WebhookTestHost.Endpoint(down, e => e.Events.Add("activity_log.domain.*"));
            },
            services: services => services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace)));
        using var retries = host.Collect("activitylog.webhooks.retries");
        using var deliveries = host.Collect("activitylog.webhooks.deliveries");
        using var deadLetters = host.Collect("activitylog.webhooks.dead_letters");

        host.RecordUser(1);
        host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "d"));
        await host.FlushAsync();
        await WebhookTestHost.WaitAsync(retries, 2); // the 500, and the refused connection
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await WebhookTestHost.WaitAsync(deliveries, 1); // the retried batch
        await WebhookTestHost.WaitAsync(retries, 3); // the unreachable endpoint's second attempt
        host.RecordUser(2);
        await host.FlushAsync();
        await WebhookTestHost.WaitAsync(deadLetters, 1); // the 404

        receiver.Requests.Should().HaveCount(3);
        receiver.Requests.Should().OnlyContain(r => r.Path.Contains(PathSecret, StringComparison.Ordinal), "the secret is really in the URL");
        var records = host.Logs.GetSnapshot();
        records.Should().Contain(r => r.Category != null && r.Category.StartsWith("System.Net.Http", StringComparison.Ordinal) || r.Id.Id == 4102,
            "the scenario logged something to search");
        foreach (var record in records)
        {
            foreach (string text in Texts(record))
            {
                text.Should().NotContain(PathSecret, $"the {record.Category} record '{record.Message}' must not carry the URL path")
                    .And.NotContain(QuerySecret, $"the {record.Category} record '{record.Message}' must not carry the URL query");
            }
        }

        records.Should().Contain(r => r.Id.Id == 4103 && r.Message.Contains("HTTP 404: Cannot POST [url]", StringComparison.Ordinal),
            "the reason keeps the status and the body, without the echoed path");
    }

    /// <summary>Every text a log record carries: message, structured state, scopes, exception (with inner ones and stack).</summary>
    private static IEnumerable<string> Texts(FakeLogRecord record)
    {
        yield return record.Message;
        foreach (var (key, value) in record.StructuredState ?? [])
        {
            yield return $"{key}={value}";
        }

        foreach (object? scope in record.Scopes)
        {
            yield return scope?.ToString() ?? "";
            if (scope is IEnumerable pairs and not string)
            {
                foreach (object? pair in pairs)
                {
                    yield return pair?.ToString() ?? "";
                }
            }
        }

        if (record.Exception is { } exception)
        {
            yield return exception.ToString();
        }
    }
}

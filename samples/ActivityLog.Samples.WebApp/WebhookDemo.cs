using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ActivityLog.Formatting;
using ActivityLog.Serialization;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Antiforgery;

namespace ActivityLog.Samples.WebApp;

/// <summary>
/// The webhook part of the demo: every activity is also delivered, signed (Standard Webhooks), to a receiver inside
/// this same app (<c>POST /webhooks/receiver</c>), which verifies the signature with the package's
/// <see cref="WebhookSignatureVerifier"/> and lists what it received on <c>/webhooks/received</c>.
/// </summary>
/// <remarks>
/// The receiver's URL is <c>Sample:Webhooks:ReceiverUrl</c>, else derived from the app's first <c>Urls</c> entry
/// (<c>http://127.0.0.1:5080/webhooks/receiver</c> by default). With a dynamic port (<c>--urls http://127.0.0.1:0</c>)
/// the URL cannot be known before start, so the demo is off unless <c>Sample:Webhooks:ReceiverUrl</c> is given.
/// </remarks>
internal static class WebhookDemo
{
    public const string EndpointName = "sample-receiver";
    public const string ReceiverPath = "/webhooks/receiver";
    public const string ReceivedPath = "/webhooks/received";

    public static bool Enabled(HttpContext http) => http.RequestServices.GetService<WebhookInbox>() is not null;

    public static void AddWebhookDemo(this WebApplicationBuilder builder, ActivityLogBuilder activityLog)
    {
        var section = builder.Configuration.GetSection("Sample:Webhooks");
        if (!section.GetValue("Enabled", defaultValue: true))
        {
            return;
        }

        var receiverUrl = section["ReceiverUrl"] is { Length: > 0 } configured
            ? new Uri(configured)
            : DefaultReceiverUrl(builder.Configuration[WebHostDefaults.ServerUrlsKey]);
        if (receiverUrl is null)
        {
            return;
        }

        // A fresh secret per run, shared in memory by the sender and the receiver: no secret in any file.
        string secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        builder.Services.AddSingleton(new WebhookInbox(new WebhookSignatureVerifier(secret), TimeProvider.System));
        activityLog.AddWebhooks(webhooks =>
        {
            webhooks.AllowLoopback = true;   // the receiver is this app, on 127.0.0.1
            webhooks.Endpoints[EndpointName] = new WebhookEndpointOptions
            {
                Url = receiverUrl,
                Secret = secret,
                Fields = ActivityJsonFields.Id | ActivityJsonFields.AccountId,   // so the list can show each account its own
            };
        });
    }

    public static void MapWebhookDemo(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<WebhookInbox>() is null)
        {
            return;
        }

        // Anonymous like any webhook receiver: the signature, not a cookie, says the request is genuine.
        app.MapPost(ReceiverPath, async (HttpRequest request, WebhookInbox inbox, CancellationToken cancellationToken) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, cancellationToken);
            return inbox.Receive(body.ToArray(), request.Headers) ? Results.NoContent() : Results.Unauthorized();
        }).AllowAnonymous().DisableAntiforgery();

        app.MapGet(ReceivedPath, (HttpContext http, IAntiforgery antiforgery, WebhookInbox inbox, ActivityDescriptionFormatter formatter) =>
        {
            var user = DemoUsers.Current(http.User)!;
            var body = new StringBuilder()
                .Append("<p>Activities of account <b>").Append(Html.Encode(user.AccountId))
                .Append("</b> delivered by webhook to <code>").Append(ReceiverPath)
                .Append("</code> in this app, signature verified (Standard Webhooks). Newest first.</p>");
            var received = inbox.Received(user.AccountId);
            if (received.Count == 0)
            {
                body.Append("<p id=\"webhooks-empty\">Nothing received yet for this account.</p>");
            }
            else
            {
                body.Append("<table id=\"webhooks-received\"><thead><tr><th>webhook-id</th><th>Event</th><th>Sentence</th><th>Received</th></tr></thead><tbody>");
                foreach (var (delivery, activity) in received)
                {
                    body.Append("<tr class=\"webhook-event\"><td class=\"webhook-id\">").Append(Html.Encode(delivery.WebhookId))
                        .Append("</td><td class=\"event\">").Append(Html.Encode(activity.Name))
                        .Append("</td><td class=\"sentence\">").Append(Html.Encode(formatter.FormatSentence(activity)))
                        .Append("</td><td>").Append(Html.Encode(delivery.ReceivedAt.ToString("u", CultureInfo.InvariantCulture)))
                        .Append("</td></tr>");
                }

                body.Append("</tbody></table>");
            }

            body.Append("<p>Refused (bad or missing signature): <span id=\"webhooks-refused\">")
                .Append(inbox.Refused.ToString(CultureInfo.InvariantCulture)).Append("</span></p>");
            return Html.Page(http, antiforgery, "Webhooks received", body.ToString());
        }).RequireAuthorization();
    }

    private static Uri? DefaultReceiverUrl(string? urls)
    {
        string? first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (first is null)
        {
            return null;
        }

        // "http://*:5080" and "http://+:5080" bind every address; the app reaches itself on the loopback one.
        first = first.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
        return Uri.TryCreate(first, UriKind.Absolute, out var url) && url.Port > 0
            ? new Uri(url, ReceiverPath)
            : null;
    }
}

/// <summary>One webhook request the receiver accepted.</summary>
internal sealed record ReceivedWebhook(string WebhookId, DateTimeOffset ReceivedAt, IReadOnlyList<ActivityLogEvent> Events);

/// <summary>
/// What the receiver accepted, in memory (the newest 500 requests), deduplicated by <c>webhook-id</c> as Standard
/// Webhooks asks receivers to do (a retried batch keeps its id). Thread-safe.
/// </summary>
internal sealed class WebhookInbox(WebhookSignatureVerifier verifier, TimeProvider time)
{
    private const int Capacity = 500;
    private readonly Lock _lock = new();
    private readonly LinkedList<ReceivedWebhook> _received = [];
    private readonly List<(Func<ActivityLogEvent, bool> Match, TaskCompletionSource Done)> _waiters = [];
    private int _refused;

    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Verifies and keeps one request; <see langword="false"/> when its signature does not verify.</summary>
    public bool Receive(byte[] body, IHeaderDictionary headers)
    {
        if (!verifier.Verify(body, headers))
        {
            Interlocked.Increment(ref _refused);
            return false;
        }

        string webhookId = headers["webhook-id"].ToString();
        var delivery = new ReceivedWebhook(webhookId, time.GetUtcNow(), ActivityJsonSerializer.DeserializePayload(body));
        lock (_lock)
        {
            if (_received.Any(r => r.WebhookId == webhookId))
            {
                return true;
            }

            _received.AddFirst(delivery);
            if (_received.Count > Capacity)
            {
                _received.RemoveLast();
            }

            foreach (var waiter in _waiters.Where(w => delivery.Events.Any(w.Match)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }

        return true;
    }

    /// <summary>The received events of one account, newest request first.</summary>
    public IReadOnlyList<(ReceivedWebhook Delivery, ActivityLogEvent Event)> Received(string accountId)
    {
        lock (_lock)
        {
            return [.. _received.SelectMany(d => d.Events.Reverse().Where(e => e.AccountId == accountId).Select(e => (d, e)))];
        }
    }

    /// <summary>Completes when an event matching <paramref name="match"/> has been received (for tests).</summary>
    public Task WaitForAsync(Func<ActivityLogEvent, bool> match)
    {
        lock (_lock)
        {
            if (_received.Any(d => d.Events.Any(match)))
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, done));
            return done.Task;
        }
    }
}

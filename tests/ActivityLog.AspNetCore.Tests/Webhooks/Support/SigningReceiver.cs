using System.Text;
using ActivityLog.Serialization;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace ActivityLog.AspNetCore.Tests.Webhooks.Support;

/// <summary>One request as the receiver got it, with what each verifier said.</summary>
internal sealed record ReceivedRequest(string WebhookId, string Body, IReadOnlyDictionary<string, string> Headers, bool OursVerified, bool StandardWebhooksVerified);

/// <summary>
/// A webhook receiver on its own Kestrel (127.0.0.1, a free port) that checks every request's signature twice: with
/// our <see cref="WebhookSignatureVerifier"/> and with the independent <c>StandardWebhooks</c> package. It answers 204
/// when both accept, 401 otherwise, and 503 until it knows the secret (the secret is read from the page after creation,
/// so an early delivery is retried by the engine). Every request is kept, so a test can re-check them all at the end.
/// </summary>
internal sealed class SigningReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<ReceivedRequest> _received = [];
    private readonly List<(Func<ReceivedRequest, bool> Match, TaskCompletionSource Done)> _waiters = [];
    private volatile string? _secret;

    private SigningReceiver(WebApplication app)
    {
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Url = new Uri(new Uri(address), "/hooks/activity");
    }

    public Uri Url { get; }

    /// <summary>The signing secret the receiver verifies with, once the admin has copied it.</summary>
    public string? Secret
    {
        get => _secret;
        set => _secret = value;
    }

    public IReadOnlyList<ReceivedRequest> Received
    {
        get
        {
            lock (_lock)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<SigningReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        SigningReceiver? receiver = null;
        app.MapPost("/hooks/activity", (HttpContext context) => receiver!.ReceiveAsync(context));
        await app.StartAsync();
        receiver = new SigningReceiver(app);
        return receiver;
    }

    /// <summary>Completes when a verified request matching <paramref name="match"/> has arrived.</summary>
    public Task WaitForAsync(Func<ReceivedRequest, bool> match)
    {
        lock (_lock)
        {
            if (_received.Any(r => r.OursVerified && r.StandardWebhooksVerified && match(r)))
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, done));
            return done.Task;
        }
    }

    /// <summary>The events of every verified request (JSON payloads), in arrival order.</summary>
    public IReadOnlyList<ActivityLogEvent> VerifiedEvents() =>
        [.. Received.Where(r => r.OursVerified && r.StandardWebhooksVerified).SelectMany(r => ActivityJsonSerializer.DeserializePayload(Encoding.UTF8.GetBytes(r.Body)))];

    private async Task ReceiveAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        string body = Encoding.UTF8.GetString(buffer.ToArray());
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        string? secret = _secret;
        bool ours = secret is not null && new WebhookSignatureVerifier(secret).Verify(buffer.ToArray(), context.Request.Headers);
        bool standard = secret is not null && VerifiesWithStandardWebhooks(secret, body, context.Request.Headers);
        var request = new ReceivedRequest(headers.GetValueOrDefault("webhook-id", ""), body, headers, ours, standard);
        lock (_lock)
        {
            _received.Add(request);
            if (ours && standard)
            {
                foreach (var waiter in _waiters.Where(w => w.Match(request)).ToList())
                {
                    _waiters.Remove(waiter);
                    waiter.Done.TrySetResult();
                }
            }
        }

        context.Response.StatusCode = secret is null ? StatusCodes.Status503ServiceUnavailable
            : ours && standard ? StatusCodes.Status204NoContent
            : StatusCodes.Status401Unauthorized;
    }

    public static bool VerifiesWithStandardWebhooks(string secret, string body, IHeaderDictionary headers)
    {
        try
        {
            new StandardWebhook(secret).Verify(body, headers);
            return true;
        }
        catch (StandardWebhooks.Diagnostics.WebhookVerificationException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using System.Net;
using System.Threading.Channels;
using ActivityLog.Serialization;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Samples.Quickstart;

/// <summary>
/// The webhook receiver the quickstart hosts for itself: a minimal Kestrel app on 127.0.0.1 (any free port) that
/// checks each request's signature with the package's verifier, reads the events, and reports what arrived. In a
/// real system this is another service; point the quickstart at yours through configuration.
/// </summary>
internal sealed class QuickstartWebhookReceiver : IAsyncDisposable
{
    public const string Path = "/webhooks/activity";

    private readonly WebApplication _app;
    private readonly Channel<ReceivedWebhook> _received = Channel.CreateUnbounded<ReceivedWebhook>();

    private QuickstartWebhookReceiver(WebApplication app, string baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The receiver's address, such as <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseAddress { get; }

    /// <summary>Starts the receiver; <paramref name="verifier"/> is read at each request, so it may be set once the app's clock exists.</summary>
    public static async Task<QuickstartWebhookReceiver> StartAsync(Func<WebhookSignatureVerifier> verifier)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        QuickstartWebhookReceiver? self = null;
        app.MapPost(Path, async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            byte[] bytes = body.ToArray();
            // The one line a receiving ASP.NET Core app needs: raw body and headers in, authentic or not out.
            bool verified = verifier().Verify(bytes, request.Headers);
            int events = verified ? ActivityJsonSerializer.DeserializePayload(bytes).Count : 0;
            self!._received.Writer.TryWrite(new ReceivedWebhook(request.Headers["webhook-id"].ToString(), events, verified));
            return verified ? Results.NoContent() : Results.Unauthorized();
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new QuickstartWebhookReceiver(app, address.TrimEnd('/'));
        return self;
    }

    /// <summary>What arrived until <paramref name="events"/> verified events are in, or the timeout passed.</summary>
    public async Task<List<ReceivedWebhook>> ReceiveAsync(int events, TimeSpan timeout)
    {
        var received = new List<ReceivedWebhook>();
        int verified = 0;
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (verified < events)
            {
                var webhook = await _received.Reader.ReadAsync(cancel.Token);
                received.Add(webhook);
                verified += webhook.Verified ? webhook.Events : 0;
            }
        }
        catch (OperationCanceledException)
        {
            // Reported by the caller: fewer events than expected.
        }

        return received;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One webhook request as the receiver saw it.</summary>
internal sealed record ReceivedWebhook(string WebhookId, int Events, bool Verified);

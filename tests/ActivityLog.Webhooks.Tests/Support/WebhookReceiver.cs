using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Tests.Support;

/// <summary>A request as the receiver saw it.</summary>
public sealed record ReceivedRequest(string Method, string Path, string? ContentType, Dictionary<string, string> Headers, byte[] Body)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);

    public string WebhookId => Headers["webhook-id"];

    public IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> HeaderPairs =>
        Headers.Select(h => new KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>(h.Key, h.Value));
}

/// <summary>
/// What the receiver answers to one request. <paramref name="Hold"/> delays the whole answer; <paramref name="StallBody"/>
/// sends the status, the headers and <paramref name="Body"/> at once, then keeps the body open (chunked, unfinished)
/// until it completes or the client goes away.
/// </summary>
public sealed record ReceiverResponse(int Status, IReadOnlyDictionary<string, string>? Headers = null, string? Body = null, Task? Hold = null, Task? StallBody = null);

/// <summary>
/// A real Kestrel server on 127.0.0.1 (port 0) that records every request and answers with a programmable response
/// (200 by default). Requests can be awaited one by one through <see cref="NextAsync"/>.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ReceivedRequest> _arrivals = Channel.CreateUnbounded<ReceivedRequest>();

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Every request received, in arrival order.</summary>
    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    /// <summary>Decides the answer; by default 200.</summary>
    public Func<ReceivedRequest, ReceiverResponse> Respond { get; set; } = _ => new ReceiverResponse(200);

    /// <summary>Called on arrival, before the answer (for example to signal that a request is in flight).</summary>
    public Action<ReceivedRequest>? OnArrival { get; set; }

    public Uri Url { get; private set; } = null!;

    public static Task<WebhookReceiver> StartAsync() => StartAsync(0);

    public static async Task<WebhookReceiver> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/hooks/activity");
        return receiver;
    }

    public int Port => Url.Port;

    /// <summary>The next request (in arrival order), with a hang guard.</summary>
    public async Task<ReceivedRequest> NextAsync() =>
        await _arrivals.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Whether a next request arrived within the hang guard (for a failure message richer than a timeout).</summary>
    public async Task<bool> TryNextAsync()
    {
        try
        {
            await NextAsync();
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var request = new ReceivedRequest(
            context.Request.Method,
            context.Request.Path,
            context.Request.ContentType,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.ToArray());
        Requests.Enqueue(request);
        OnArrival?.Invoke(request);
        var response = Respond(request);
        if (response.Hold is { } hold)
        {
            await Task.WhenAny(hold, Task.Delay(Timeout.Infinite, context.RequestAborted));
        }

        // Published after the answer is decided, so a test that reads it sees the request and its fate together.
        _arrivals.Writer.TryWrite(request);
        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body is { } text)
        {
            await context.Response.WriteAsync(text);
        }

        if (response.StallBody is { } stall)
        {
            await context.Response.Body.FlushAsync();
            await Task.WhenAny(stall, Task.Delay(Timeout.Infinite, context.RequestAborted));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

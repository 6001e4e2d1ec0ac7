using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.AspNetCore.Tests.Browser;

/// <summary>
/// The web sample, hosted in-process on a real Kestrel port (127.0.0.1, port 0) so that a browser can reach it
/// (WebApplicationFactory's TestServer cannot be), on its own temporary SQLite file.
/// </summary>
public sealed class SampleAppFactory : WebApplicationFactory<Program>
{
    private readonly int _pageSize;
    private readonly Uri? _webhookReceiver;
    private readonly bool _recordViews;

    /// <param name="pageSize">The Activity Log page's page size.</param>
    /// <param name="webhooks">
    /// Whether the sample's webhook demo runs (a webhook to its own receiver). Its URL must be known before the app
    /// starts (the webhook options are read at start, before Kestrel binds), so this mode binds a port found free
    /// just before; otherwise the sample binds port 0 and the demo is off.
    /// </param>
    /// <param name="recordViews">
    /// Whether looking at the log is recorded in it (the sample's default). Off unless a test is about it: a test that
    /// asserts the exact rows would otherwise also see its own earlier page views, as many as were flushed by then.
    /// </param>
    public SampleAppFactory(int pageSize = 50, bool webhooks = false, bool recordViews = false)
    {
        _pageSize = pageSize;
        _recordViews = recordViews;
        DatabasePath = Path.Combine(Path.GetTempPath(), $"activitylog-websample-{Guid.NewGuid():N}.db");
        int port = webhooks ? FreeLoopbackPort() : 0;
        _webhookReceiver = webhooks ? new Uri($"http://127.0.0.1:{port}/webhooks/receiver") : null;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
    }

    /// <summary>The sample's SQLite file, deleted on dispose.</summary>
    public string DatabasePath { get; }

    /// <summary>Where the running sample listens, such as <c>http://127.0.0.1:41235</c>.</summary>
    public Uri BaseAddress
    {
        get
        {
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            return new Uri(addresses.Single());
        }
    }

    /// <summary>Waits until everything the sample recorded so far is in its database.</summary>
    public Task FlushAsync() =>
        Services.GetRequiredService<IActivityDispatcher>().FlushAsync().WaitAsync(ChromiumFixture.Timeout);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:ActivityLog", $"Data Source={DatabasePath}");
        builder.UseSetting("Sample:ActivityLogPageSize", _pageSize.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Sample:RecordActivityLogViews", _recordViews ? "true" : "false");
        builder.UseSetting("Sample:Webhooks:Enabled", _webhookReceiver is null ? "false" : "true");
        builder.UseSetting("Sample:Webhooks:ReceiverUrl", _webhookReceiver?.ToString() ?? "");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (string suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(DatabasePath + suffix);
        }
    }
}

using System.Net;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Testing.Postgres;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.AspNetCore.Tests.Support;

/// <summary>What a <see cref="TestWebApp"/> is made of; every part has the setting most tests want.</summary>
internal sealed class TestWebAppOptions
{
    public Action<ActivityLogHttpOptions>? Http { get; init; }

    public Action<ActivityLogEndpointOptions>? Endpoints { get; init; }

    public string Pattern { get; init; } = "/settings/activity-log";

    /// <summary>Use ASP.NET Core's forwarded-headers middleware, trusting the loopback proxy the tests connect from.</summary>
    public bool ForwardedHeaders { get; init; }

    /// <summary>Store on PostgreSQL (a fresh database) instead of an SQLite file.</summary>
    public bool PostgreSql { get; init; }

    public Action<AuthorizationOptions>? Authorization { get; init; }

    /// <summary>Extra routes (the endpoint under test), mapped after UseActivityLog.</summary>
    public Action<WebApplication>? Map { get; init; }

    /// <summary>Wraps the store's reader (for tests that watch how the endpoints consume it).</summary>
    public Func<IActivityLogReader, IActivityLogReader>? DecorateReader { get; init; }

    /// <summary>More services or options (ActivityLog's own options, a capture sink, fake logging), added after the defaults.</summary>
    public Action<IServiceCollection>? Services { get; init; }

    /// <summary>Route prefix for UseActivityLog tests that resolve the account from a route value.</summary>
    public bool SkipMapActivityLog { get; init; }
}

/// <summary>
/// A real ASP.NET Core app on Kestrel (127.0.0.1, a free port) with the header authentication handler, ActivityLog's
/// EF Core store on a real SQLite file (or PostgreSQL database), <c>UseActivityLog()</c> and <c>MapActivityLog()</c>.
/// Time comes from a <see cref="FakeTimeProvider"/> that moves one second per reading, so events have distinct times.
/// </summary>
internal sealed class TestWebApp : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly string? _sqliteFolder;
    private readonly string? _postgresDatabase;

    private TestWebApp(WebApplication app, FakeTimeProvider time, string? sqliteFolder, string? postgresDatabase)
    {
        App = app;
        Time = time;
        _sqliteFolder = sqliteFolder;
        _postgresDatabase = postgresDatabase;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address);
        Client = CreateClient();
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public FakeTimeProvider Time { get; }

    public Uri BaseAddress { get; }

    /// <summary>A client without cookies or redirects, so that a 401 or a redirect shows as it is.</summary>
    public HttpClient Client { get; }

    public IActivityRecorder Recorder => Services.GetRequiredService<IActivityRecorder>();

    public IActivityLogReader Reader => Services.GetRequiredService<IActivityLogReader>();

    public static async Task<TestWebApp> StartAsync(TestWebAppOptions? options = null)
    {
        options ??= new TestWebAppOptions();
        string? folder = null;
        string connectionString;
        if (options.PostgreSql)
        {
            connectionString = await PostgresServer.Main.CreateDatabaseAsync("aspnetcore");
        }
        else
        {
            folder = Path.Combine(Path.GetTempPath(), "activitylog-aspnetcore-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "activity.db"), Pooling = false }.ToString();
        }

        var time = new FakeTimeProvider(Start) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton<TimeProvider>(time);
        services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, configureOptions: null);
        services.AddAuthorization(a => options.Authorization?.Invoke(a));
        services.AddActivityLog(o => o.BatchDelay = TimeSpan.Zero)
            .AddDescription("activity_log.sandbox.deleted", "deleted a sandbox {resource.name}")
            .AddDescription("activity_log.user.invited", "invited the user {resource.name} to the account")
            .AddDescription("activity_log.webhook.removed", "removed the webhook {resource.name} from {related.name}")
            .AddDescription("activity_log.user.login_failed", "attempted to log in to the user {resource.name} using {context.auth_method}")
            .AddEntityFrameworkStore(
                db =>
                {
                    if (options.PostgreSql)
                    {
                        db.UseNpgsql(connectionString);
                    }
                    else
                    {
                        db.UseSqlite(connectionString);
                    }
                },
                store => store.CreateSchemaOnStart = true)
            .AddAspNetCore(options.Http);
        options.Services?.Invoke(services);
        if (options.DecorateReader is { } decorate)
        {
            var registered = services.Single(d => d.ServiceType == typeof(IActivityLogReader));
            services.Remove(registered);
            services.AddSingleton(sp => decorate((IActivityLogReader)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!)));
        }

        if (options.ForwardedHeaders)
        {
            services.Configure<ForwardedHeadersOptions>(f =>
            {
                f.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto;
                f.KnownProxies.Clear();
                f.KnownIPNetworks.Clear();
                f.KnownProxies.Add(IPAddress.Loopback);
            });
        }

        var app = builder.Build();
        if (options.ForwardedHeaders)
        {
            app.UseForwardedHeaders();
        }

        app.UseAuthentication();
        app.UseActivityLog();
        app.UseAuthorization();
        options.Map?.Invoke(app);
        if (!options.SkipMapActivityLog)
        {
            // Viewing is not recorded unless a test asks (RecordViews = true in its Endpoints): tests that assert exact
            // rows would otherwise also read their own earlier page views.
            app.MapActivityLog(options.Pattern, endpoints =>
            {
                endpoints.RecordViews = false;
                options.Endpoints?.Invoke(endpoints);
            });
        }

        try
        {
            await app.StartAsync().WaitAsync(HangGuard);
        }
        catch
        {
            await app.DisposeAsync();
            await CleanUpAsync(folder, options.PostgreSql ? connectionString : null);
            throw;
        }

        return new TestWebApp(app, time, folder, options.PostgreSql ? connectionString : null);
    }

    public HttpClient CreateClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };

    /// <summary>Sends a GET as <paramref name="user"/> (anonymous when <see langword="null"/>).</summary>
    public Task<HttpResponseMessage> GetAsync(string url, TestUser? user, Action<HttpRequestMessage>? adjust = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        user?.Apply(request);
        adjust?.Invoke(request);
        return Client.SendAsync(request).WaitAsync(HangGuard);
    }

    /// <summary>Waits until every event recorded so far is in the store.</summary>
    public Task FlushAsync() => Services.GetRequiredService<IActivityDispatcher>().FlushAsync().WaitAsync(HangGuard);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync().WaitAsync(HangGuard);
        await App.DisposeAsync();
        await CleanUpAsync(_sqliteFolder, _postgresDatabase);
    }

    private static async Task CleanUpAsync(string? sqliteFolder, string? postgresDatabase)
    {
        if (sqliteFolder is not null)
        {
            Directory.Delete(sqliteFolder, recursive: true);
        }

        if (postgresDatabase is not null)
        {
            await PostgresServer.Main.DropDatabaseAsync(postgresDatabase);
        }
    }
}

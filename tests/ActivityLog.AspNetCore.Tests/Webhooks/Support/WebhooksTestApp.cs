using System.Net;
using System.Text.RegularExpressions;
using ActivityLog.AspNetCore.Tests.Support;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.AspNetCore.Tests.Webhooks.Support;

/// <summary>
/// A real ASP.NET Core app on Kestrel (127.0.0.1, a free port) with Settings → Webhooks: the header authentication
/// handler (<see cref="HeaderAuthenticationHandler"/>), antiforgery, the EF Core store on an SQLite file, and either the
/// real webhooks package (<c>AddWebhooks()</c>, loopback and http allowed for the test receiver) or the small
/// <see cref="InTestWebhookSubscriptions"/>.
/// </summary>
internal sealed partial class WebhooksTestApp : IAsyncDisposable
{
    public const string Path = "/settings/webhooks";
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>acme's admin.</summary>
    public static readonly TestUser John = new("1", "John Doe", "acme");

    /// <summary>globex's admin.</summary>
    public static readonly TestUser Jane = new("2", "Jane Roe", "globex");

    private readonly string _folder;

    private WebhooksTestApp(WebApplication app, string folder)
    {
        App = app;
        _folder = folder;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public Uri BaseAddress { get; }

    /// <summary>The in-test manager, when the app runs on it.</summary>
    public InTestWebhookSubscriptions? InTest => Services.GetService<IActivityWebhookSubscriptions>() as InTestWebhookSubscriptions;

    public static async Task<WebhooksTestApp> StartAsync(bool realWebhooks = false, Action<IServiceCollection>? services = null)
    {
        string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "activitylog-webhooks-page-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string connectionString = new SqliteConnectionStringBuilder { DataSource = System.IO.Path.Combine(folder, "activity.db"), Pooling = false }.ToString();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, configureOptions: null);
        builder.Services.AddAuthorization();
        builder.Services.AddAntiforgery();
        var activityLog = builder.Services.AddActivityLog(o => o.BatchDelay = TimeSpan.Zero)
            .AddEntityFrameworkStore(db => db.UseSqlite(connectionString), store => store.CreateSchemaOnStart = true)
            .AddAspNetCore();
        if (realWebhooks)
        {
            activityLog.AddWebhooks(webhooks =>
            {
                webhooks.Subscriptions.AllowHttp = true;
                webhooks.Subscriptions.AllowLoopback = true;
            });
        }
        else
        {
            builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) });
            builder.Services.AddSingleton<InTestWebhookSubscriptions>();
            builder.Services.AddSingleton<IActivityWebhookSubscriptions>(sp => sp.GetRequiredService<InTestWebhookSubscriptions>());
        }

        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.UseAuthentication();
        app.UseActivityLog();
        app.UseAuthorization();
        app.MapActivityLog();
        app.MapActivityLogWebhooks(Path);
        MapRecordPage(app);
        try
        {
            await app.StartAsync().WaitAsync(HangGuard);
        }
        catch
        {
            await app.DisposeAsync();
            Directory.Delete(folder, recursive: true);
            throw;
        }

        return new WebhooksTestApp(app, folder);
    }

    /// <summary>
    /// <c>GET /record</c>: a one-button page that records <c>activity_log.field.created</c> for the field typed, as the
    /// signed-in caller (actor and account from <c>UseActivityLog()</c>), so browser tests record by clicking.
    /// </summary>
    private static void MapRecordPage(WebApplication app)
    {
        app.MapGet("/record", () => Microsoft.AspNetCore.Http.Results.Content(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Record</title></head><body>" +
            "<form id=\"record\" method=\"post\" action=\"/record\"><input id=\"field-name\" name=\"name\"><button id=\"record-field\" type=\"submit\">Create field</button></form>" +
            "<p id=\"recorded\">" + System.Net.WebUtility.HtmlEncode(string.Empty) + "</p></body></html>", "text/html; charset=utf-8")).RequireAuthorization();
        app.MapPost("/record", async (Microsoft.AspNetCore.Http.HttpContext context, IActivityRecorder recorder) =>
        {
            var form = await context.Request.ReadFormAsync();
            string name = form["name"].ToString();
            recorder.Record("activity_log.field.created", resource: new ActivityResource("field", "fld_" + Guid.NewGuid().ToString("N")[..8], name));
            return Microsoft.AspNetCore.Http.Results.Content(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Recorded</title></head><body><p id=\"recorded\">" +
                System.Net.WebUtility.HtmlEncode(name) + "</p></body></html>", "text/html; charset=utf-8");
        }).RequireAuthorization();
    }

    /// <summary>Waits until every event recorded so far has passed the dispatcher (stored, and handed to the outbox).</summary>
    public Task FlushAsync() => Services.GetRequiredService<IActivityDispatcher>().FlushAsync().WaitAsync(HangGuard);

    /// <summary>A client signed in as <paramref name="user"/> (or anonymous), with its own cookie jar and no redirects.</summary>
    public PageClient ClientFor(TestUser? user) => new(BaseAddress, user);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(HangGuard);
        await App.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>One person's browser-like HTTP client: their identity headers, a cookie jar (antiforgery), no redirects.</summary>
    internal sealed partial class PageClient : IDisposable
    {
        private readonly HttpClient _http;

        public PageClient(Uri baseAddress, TestUser? user)
        {
            _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
            {
                BaseAddress = baseAddress,
                Timeout = HangGuard,
            };
            if (user is not null)
            {
                using var probe = new HttpRequestMessage();
                user.Apply(probe);
                foreach (var header in probe.Headers)
                {
                    _http.DefaultRequestHeaders.Add(header.Key, header.Value);
                }
            }
        }

        public HttpClient Http => _http;

        public async Task<(HttpResponseMessage Response, string Body)> GetAsync(string path)
        {
            var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
            return (response, await response.Content.ReadAsStringAsync());
        }

        /// <summary>The antiforgery token of the first form on the page at <paramref name="path"/> (its cookie lands in the jar).</summary>
        public async Task<string> TokenFromAsync(string path)
        {
            var (response, body) = await GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.OK, body);
            var match = TokenField().Match(body);
            match.Success.Should().BeTrue("the page at {0} carries an antiforgery field", path);
            return WebUtility.HtmlDecode(match.Groups["token"].Value);
        }

        /// <summary>Posts a form; <paramref name="token"/> <see langword="null"/> leaves the antiforgery field out.</summary>
        public async Task<(HttpResponseMessage Response, string Body)> PostFormAsync(string path, string? token, params (string Name, string Value)[] fields)
        {
            var values = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).ToList();
            if (token is not null)
            {
                values.Add(new("__RequestVerificationToken", token));
            }

            using var content = new FormUrlEncodedContent(values);
            var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content);
            return (response, await response.Content.ReadAsStringAsync());
        }

        public void Dispose() => _http.Dispose();

        [GeneratedRegex("<input type=\"hidden\" name=\"__RequestVerificationToken\" value=\"(?<token>[^\"]+)\">")]
        private static partial Regex TokenField();
    }
}

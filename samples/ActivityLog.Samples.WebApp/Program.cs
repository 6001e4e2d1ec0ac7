// The ActivityLog web sample: a minimal ASP.NET Core app with a demo sign-in (two users in two accounts), endpoints
// that record real activities, the Activity Log page under /settings/activity-log and Settings → Webhooks under
// /settings/webhooks, on the EF Core store with an embedded SQLite file. `dotnet run --project samples/ActivityLog.Samples.WebApp`, then open http://127.0.0.1:5080.
using ActivityLog;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Samples.WebApp;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

var builder = WebApplication.CreateBuilder(args);

// The embedded default: an SQLite file next to the program (Sample:DatabasePath, or ConnectionStrings:ActivityLog
// for any SQLite connection string), its schema created at start. Tests point it at a temporary file.
var sample = builder.Configuration.GetSection(SampleOptions.SectionName).Get<SampleOptions>() ?? new SampleOptions();
string connectionString = builder.Configuration.GetConnectionString("ActivityLog")
    ?? $"Data Source={Path.GetFullPath(sample.DatabasePath, AppContext.BaseDirectory)}";

var activityLog = builder.Services
    .AddActivityLog(builder.Configuration.GetSection("ActivityLog"))           // descriptions and redaction from appsettings.json
    .AddEntityFrameworkStore(db => db.UseSqlite(connectionString), store => store.CreateSchemaOnStart = true)
    .AddAspNetCore();                                                          // actor, account (claim account_id), context per request

// Settings → Webhooks: each account's admins create their own webhooks at run time (https URLs to public
// addresses, as for any tenant). AddWebhooks is safe to call twice: the demo below adds a host endpoint to it.
activityLog.AddWebhooks();

// Every activity is also sent by webhook to a receiver inside this app (WebhookDemo.cs).
builder.AddWebhookDemo(activityLog);

// The demo sign-in: a cookie holding the user's id, name, account and how they signed in.
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(cookie =>
    {
        cookie.LoginPath = "/sign-in";
        cookie.Cookie.Name = "activitylog-sample";
    });
builder.Services.AddAuthorization();
builder.Services.AddSingleton<SampleActivities.StreamStore>();   // the "app database" behind the stream settings form
builder.Services.AddAntiforgery();   // the sample's forms and the Settings → Webhooks page check antiforgery tokens

var app = builder.Build();

app.UseAuthentication();
app.UseActivityLog();   // after authentication: the request's ambient actor, account and context for Record(…)
app.UseAuthorization();
app.UseAntiforgery();

app.MapSignIn();
app.MapSampleActivities();
app.MapWebhookDemo();

// The Activity Log page (and its JSON API and export), for signed-in users, each seeing their own account only.
app.MapActivityLog("/settings/activity-log", page =>
{
    page.PageSize = sample.ActivityLogPageSize;
    page.RecordViews = sample.RecordActivityLogViews;   // "John Doe viewed the activity log." in the log itself
});

// Settings → Webhooks (and its JSON API under /settings/webhooks/api), with the same scoping: each account sees its own.
app.MapActivityLogWebhooks("/settings/webhooks");

app.Run();

/// <summary>The sample's entry point, public so that tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;

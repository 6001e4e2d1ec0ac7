// A consumer app written only from the packages' READMEs: ActivityLog.EntityFrameworkCore (own DbContext, a
// migration) and ActivityLog.AspNetCore (UseActivityLog, MapActivityLog), with cookie sign-in as the README shows.
using System.Security.Claims;
using ActivityLog;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddDbContext<AppDbContext>(o => o.UseSqlite("Data Source=app.db"));
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
builder.Services.AddAuthorization();
builder.Services.AddActivityLog(o => o.Descriptions.AddTemplate(
        "activity_log.webhook.removed", "removed the webhook {resource.name} from {related.name}"))
    .AddEntityFrameworkStore<AppDbContext>()
    .AddAspNetCore();

var app = builder.Build();
app.UseAuthentication();
app.UseActivityLog();
app.UseAuthorization();

// The signed-in user: id 783, John Doe, in account acct_1 (the account_id claim the AspNetCore README reads).
app.MapPost("/sign-in", async (HttpContext http) =>
{
    var identity = new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "783"), new Claim(ClaimTypes.Name, "John Doe"), new Claim("account_id", "acct_1")],
        CookieAuthenticationDefaults.AuthenticationScheme);
    await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    return Results.NoContent();
});

app.MapPost("/webhooks/{id}/remove", (string id, IActivityRecorder recorder) =>
{
    recorder.Record("activity_log.webhook.removed", new ActivityResource("webhook", id, "Logging"),
        related: [new ActivityResource("sending_stream", "7", "Transactional")]);
    return Results.NoContent();
}).RequireAuthorization();

app.MapActivityLog();
app.Run();

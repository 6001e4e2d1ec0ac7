// The ActivityLog quickstart: wire ActivityLog into a generic host with the EF Core store on an embedded SQLite file,
// record the documentation's activities through the public API, then read the Activity Log page (Actor, Description,
// Resource, Date) back from the database, newest first, and print the webhook payload of the stored user.updated event.
// The events also go out as a signed webhook (from the store's outbox) to a receiver the sample hosts on 127.0.0.1.
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ActivityLog;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Formatting;
using ActivityLog.Samples.Quickstart;
using ActivityLog.Serialization;
using ActivityLog.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

// The embedded default: an SQLite file next to the program (ConnectionStrings:ActivityLog overrides it). The sample
// starts each run from an empty file so that its page shows exactly what this run recorded.
string databasePath = Path.Combine(AppContext.BaseDirectory, "activity-log.db");
string connectionString = builder.Configuration.GetConnectionString("ActivityLog") ?? $"Data Source={databasePath}";
if (builder.Configuration.GetConnectionString("ActivityLog") is null)
{
    File.Delete(databasePath);
}

var clock = new SeedClock();
builder.Services.AddSingleton<TimeProvider>(clock);

// The webhook receiver: in a real system another service. appsettings.json points the "quickstart" endpoint at
// "{receiver}", which is replaced here by the address the receiver bound; point ActivityLog:Webhooks:Endpoints:quickstart:Url
// (or another endpoint) at your own receiver through configuration instead. It verifies on the sample's clock, which
// runs from the documentation's date.
string secret = builder.Configuration["ActivityLog:Webhooks:Endpoints:quickstart:Secret"] ?? "";
var verifier = new Lazy<WebhookSignatureVerifier>(() => new WebhookSignatureVerifier([secret], timeProvider: clock));
await using var receiver = await QuickstartWebhookReceiver.StartAsync(() => verifier.Value);
bool toBuiltInReceiver = false;
foreach (var endpoint in builder.Configuration.GetSection("ActivityLog:Webhooks:Endpoints").GetChildren())
{
    if (endpoint["Url"] is { } url && url.Contains("{receiver}", StringComparison.Ordinal))
    {
        endpoint["Url"] = url.Replace("{receiver}", receiver.BaseAddress, StringComparison.Ordinal);
        toBuiltInReceiver = true;
    }
}

builder.Services
    .AddActivityLog(builder.Configuration.GetSection("ActivityLog"))          // options, templates, redaction from appsettings.json
    .AddDescription("activity_log.webhook.removed", "removed the webhook {resource.name} from {related.name}") // or in code
    .AddEntityFrameworkStore(db => db.UseSqlite(connectionString), store => store.CreateSchemaOnStart = true)
    .AddWebhooks();                                                           // endpoints from ActivityLog:Webhooks

using var host = builder.Build();
await host.StartAsync();

var recorder = host.Services.GetRequiredService<IActivityRecorder>();
var john = ActivityActor.User(1, "John Doe");

// Inside a request, the actor and account are ambient: code records one readable statement per activity.
using (ActivityScope.Begin(john, accountId: "acme"))
{
    recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "d_1"));
    recorder.Record("activity_log.field.created", resource: new ActivityResource("field", "f_7", "First Name"));
    recorder.Record("activity_log.sandbox.deleted", resource: new ActivityResource("sandbox", "s_3", "QA"));
    recorder.Record("activity_log.user.invited", resource: new ActivityResource("user", "u_9", "email@example.com"));
    recorder.Record("activity_log.webhook.removed",
        resource: new ActivityResource("webhook", "w_2", "Logging"),
        related: [new ActivityResource("sending_stream", "ss_1", "Transactional")]);
}

// A failed sign-in has no actor: it reads "Someone …".
recorder.Record("activity_log.user.login_failed",
    resource: new ActivityResource("user", 1, "John Doe"),
    accountId: "acme",
    context: new ActivityRequestContext { AuthMethod = "GitHub", IpAddress = "203.0.113.7" });

// The documentation's webhook example: Jane renames herself; the user's name is filtered by configuration.
recorder.Record("activity_log.user.updated",
    actor: ActivityActor.User(783, "Jane Doe"),
    resource: new ActivityResource("user", 783, "Jane Doe"),
    changes: [ActivityChange.Of("name", "Jane", "Jane Doe")],
    accountId: "acme");

// Wait until the background dispatcher has written everything to the database.
await host.Services.GetRequiredService<IActivityDispatcher>().FlushAsync();

// The Activity Log page: the account's first page, newest first, read back from the database.
var reader = host.Services.GetRequiredService<IActivityLogReader>();
var page = await reader.ReadPageAsync(new ActivityLogQuery("acme"));
var events = page.Events;
var formatter = host.Services.GetRequiredService<ActivityDescriptionFormatter>();

Console.WriteLine($"Activity Log of account acme ({events.Count} events read from {connectionString})");
Console.WriteLine();
PrintTable(
    ["Actor", "Description", "Resource", "Date"],
    events.Select(e => new[]
    {
        e.Actor.IsUnknown ? "Someone" : e.Actor.Name ?? e.Actor.Type,
        formatter.FormatSentence(e),
        e.Resource is { } r ? $"{r.Type} {r.Name ?? r.Id}" : "",
        e.Timestamp.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
    }).ToList());

// The webhook: the store wrote an outbox delivery per event in the same transaction, and the delivery worker sends them.
Console.WriteLine();
if (toBuiltInReceiver)
{
    var received = await receiver.ReceiveAsync(events: 7, TimeSpan.FromSeconds(30));
    foreach (var webhook in received)
    {
        Console.WriteLine(webhook.Verified
            ? $"Webhook received: {webhook.Events} events, signature verified (webhook-id {webhook.WebhookId})"
            : $"Webhook received with a signature that did not verify (webhook-id {webhook.WebhookId})");
    }

    if (received.Where(w => w.Verified).Sum(w => w.Events) < 7)
    {
        Console.WriteLine("Webhook: not every event arrived within 30 seconds.");
    }
}
else
{
    Console.WriteLine("Webhook: the endpoints point elsewhere (configuration), so the built-in receiver got nothing to show.");
}

Console.WriteLine();
Console.WriteLine("Webhook payload of the stored activity_log.user.updated event:");
var userUpdated = (await reader.ReadPageAsync(new ActivityLogQuery("acme") { EventNames = ["activity_log.user.updated"] })).Events;
using (var document = JsonDocument.Parse(ActivityJsonSerializer.SerializePayload(userUpdated)))
{
    Console.WriteLine(JsonSerializer.Serialize(document.RootElement, new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }));
}

await host.StopAsync();

static void PrintTable(string[] headers, List<string[]> rows)
{
    int[] widths = [.. headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length)))];
    var line = new StringBuilder();
    void Row(string[] cells)
    {
        line.Clear();
        for (int i = 0; i < cells.Length; i++)
        {
            line.Append("| ").Append(cells[i].PadRight(widths[i])).Append(' ');
        }

        Console.WriteLine(line.Append('|'));
    }

    Row(headers);
    Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
    rows.ForEach(Row);
}

// The ActivityLog quickstart: wire ActivityLog into a generic host, record the documentation's activities through
// the public API, print the Activity Log page (Actor, Description, Resource, Date) and the webhook payload.
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ActivityLog;
using ActivityLog.Formatting;
using ActivityLog.Samples.Quickstart;
using ActivityLog.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

builder.Services.AddSingleton<TimeProvider, SeedClock>();
builder.Services.AddSingleton<RecentActivitySink>();
builder.Services
    .AddActivityLog(builder.Configuration.GetSection("ActivityLog"))          // options, templates, redaction from appsettings.json
    .AddDescription("activity_log.webhook.removed", "removed the webhook {resource.name} from {related.name}") // or in code
    .AddSink<RecentActivitySink>();

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
    context: new ActivityContext { AuthMethod = "GitHub", IpAddress = "203.0.113.7" });

// The documentation's webhook example: Jane renames herself; the user's name is filtered by configuration.
recorder.Record("activity_log.user.updated",
    actor: ActivityActor.User(783, "Jane Doe"),
    resource: new ActivityResource("user", 783, "Jane Doe"),
    changes: [ActivityChange.Of("name", "Jane", "Jane Doe")],
    accountId: "acme");

// Wait until the background dispatcher has handed everything to the sinks.
await host.Services.GetRequiredService<IActivityDispatcher>().FlushAsync();

var events = host.Services.GetRequiredService<RecentActivitySink>().NewestFirst();
var formatter = host.Services.GetRequiredService<ActivityDescriptionFormatter>();

Console.WriteLine("Activity Log");
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

Console.WriteLine();
Console.WriteLine("Webhook payload of activity_log.user.updated:");
var userUpdated = events.Where(e => e.Name == "activity_log.user.updated").ToList();
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

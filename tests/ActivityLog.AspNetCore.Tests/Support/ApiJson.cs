using System.Net;
using System.Text.Json;

namespace ActivityLog.AspNetCore.Tests.Support;

/// <summary>Reads the JSON API's answers.</summary>
internal static class ApiJson
{
    public sealed record EventsPage(List<JsonElement> Events, string? NextCursor)
    {
        public IEnumerable<string> Ids => Events.Select(e => e.GetProperty("id").GetString()!);

        public IEnumerable<string> Names => Events.Select(e => e.GetProperty("event").GetString()!);
    }

    public static async Task<EventsPage> ReadPageAsync(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        root.EnumerateObject().Select(p => p.Name).Should().Equal("events", "next_cursor");
        var cursor = root.GetProperty("next_cursor");
        return new EventsPage(
            root.GetProperty("events").EnumerateArray().Select(e => e.Clone()).ToList(),
            cursor.ValueKind == JsonValueKind.Null ? null : cursor.GetString());
    }

    public static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        string body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, body);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }
}

/// <summary>Recording test data straight through the recorder, as app code in another request would.</summary>
internal static class Seed
{
    public static readonly ActivityActor John = ActivityActor.User(783, "John Doe");
    public static readonly ActivityActor Jane = ActivityActor.User(784, "Jane Roe");

    public static void Record(TestWebApp app, string account, ActivityActor actor, string eventName, ActivityResource? resource = null, ActivityResource[]? related = null) =>
        app.Recorder.Record(eventName, resource, actor: actor, related: related ?? [], accountId: account);

    /// <summary>Records <paramref name="count"/> "domain added" events by John in acct-a, resources d0.example (oldest) to d{count-1}.example; does not flush.</summary>
    public static void Domains(TestWebApp app, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Record(app, "acct-a", John, "activity_log.domain.added", new ActivityResource("domain", $"d{i}", $"d{i}.example"));
        }
    }

    /// <summary>Records the seed's six activities in account <paramref name="account"/>, oldest first, and flushes them to the store.</summary>
    public static Task SeedExamplesAsync(TestWebApp app, string account)
    {
        Record(app, account, John, "activity_log.domain.added");
        Record(app, account, John, "activity_log.field.created", new ActivityResource("field", "f1", "First Name"));
        Record(app, account, John, "activity_log.sandbox.deleted", new ActivityResource("sandbox", "s1", "QA"));
        Record(app, account, John, "activity_log.user.invited", new ActivityResource("user", "u9", "email@example.com"));
        app.Recorder.Record("activity_log.user.login_failed", new ActivityResource("user", 783, "John Doe"), actor: ActivityActor.Unknown,
            accountId: account, context: new ActivityRequestContext { AuthMethod = "GitHub" });
        Record(app, account, John, "activity_log.webhook.removed", new ActivityResource("webhook", "wh_1", "Logging"),
            [new ActivityResource("sending_stream", "7", "Transactional")]);
        return app.FlushAsync();
    }
}

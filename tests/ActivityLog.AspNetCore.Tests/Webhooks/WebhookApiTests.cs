using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActivityLog.AspNetCore.Tests.Webhooks.Support;
using ActivityLog.Webhooks;
using static ActivityLog.AspNetCore.Tests.Webhooks.Support.WebhooksTestApp;

namespace ActivityLog.AspNetCore.Tests.Webhooks;

/// <summary>The JSON API beside the page: shapes, validation as 400 naming the field, the JSON-only guard, isolation.</summary>
public sealed class WebhookApiTests
{
    private const string Api = WebhooksTestApp.Path + "/api";

    [Fact]
    public async Task Create_get_update_disable_enable_rotate_and_delete_through_the_api()
    {
        await using var app = await StartAsync();
        using var john = app.ClientFor(John);

        using var created = await PostJsonAsync(john, Api, """{"url":"https://hooks.example.com/a","format":"jsonl","events":["activity_log.user.*"],"description":"Logging"}""");
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        using var createdJson = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var root = createdJson.RootElement;
        root.GetProperty("secret").GetString().Should().StartWith("whsec_");
        var webhook = root.GetProperty("webhook");
        string id = webhook.GetProperty("id").GetString()!;
        created.Headers.Location!.OriginalString.Should().Be($"{Api}/{id}");
        webhook.GetProperty("format").GetString().Should().Be("jsonl");
        webhook.GetProperty("events").EnumerateArray().Select(e => e.GetString()).Should().Equal("activity_log.user.*");
        webhook.GetProperty("enabled").GetBoolean().Should().BeTrue();
        webhook.TryGetProperty("account_id", out _).Should().BeFalse();

        string got = await john.Http.GetStringAsync(new Uri($"{Api}/{id}", UriKind.Relative));
        got.Should().NotContain("whsec_").And.Contain("\"description\":\"Logging\"").And.Contain("\"disabled_reason\":null");
        (await john.Http.GetStringAsync(new Uri(Api, UriKind.Relative))).Should().Contain($"\"id\":\"{id}\"").And.StartWith("{\"webhooks\":[");

        using var updated = await SendJsonAsync(john, HttpMethod.Put, $"{Api}/{id}", """{"url":"https://other.example.com/b","description":"Audit"}""");
        updated.StatusCode.Should().Be(HttpStatusCode.OK);
        (await updated.Content.ReadAsStringAsync()).Should().Contain("\"url\":\"https://other.example.com/b\"").And.Contain("\"format\":\"json\"").And.Contain("\"events\":[]");

        using var disabled = await PostJsonAsync(john, $"{Api}/{id}/disable", "");
        (await disabled.Content.ReadAsStringAsync()).Should().Contain("\"enabled\":false").And.Contain("\"disabled_reason\":\"admin\"");
        using var badEnable = await PostJsonAsync(john, $"{Api}/{id}/enable", """{"resume_from":"later"}""");
        badEnable.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badEnable.Content.ReadAsStringAsync()).Should().Contain("\"resume_from\"");
        using var enabled = await PostJsonAsync(john, $"{Api}/{id}/enable", """{"resume_from":"backlog"}""");
        (await enabled.Content.ReadAsStringAsync()).Should().Contain("\"enabled\":true");

        using var rotated = await PostJsonAsync(john, $"{Api}/{id}/rotate", "{}");
        rotated.StatusCode.Should().Be(HttpStatusCode.OK);
        (await rotated.Content.ReadAsStringAsync()).Should().Contain("\"secret\":\"whsec_").And.Contain("\"previous_secret_expires_at\":\"");

        using var tested = await PostJsonAsync(john, $"{Api}/{id}/test", "{}");
        (await tested.Content.ReadAsStringAsync()).Should().Contain("\"is_test\":true").And.Contain("\"status_code\":204").And.Contain("\"duration_ms\":12");
        (await john.Http.GetStringAsync(new Uri($"{Api}/{id}/attempts?limit=5", UriKind.Relative))).Should().StartWith("{\"attempts\":[{\"message_id\":\"msg_test");
        (await john.Http.GetStringAsync(new Uri($"{Api}/{id}/dead-letters", UriKind.Relative))).Should().Be("{\"dead_letters\":[]}");
        using var badLimit = await john.Http.GetAsync(new Uri($"{Api}/{id}/attempts?limit=5000", UriKind.Relative));
        badLimit.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        using var recovered = await PostJsonAsync(john, $"{Api}/{id}/recover", """{"since":"2026-12-01T00:00:00Z"}""");
        (await recovered.Content.ReadAsStringAsync()).Should().Be("{\"recovered\":0}");

        using var deleted = await john.Http.DeleteAsync(new Uri($"{Api}/{id}", UriKind.Relative));
        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        using var gone = await john.Http.GetAsync(new Uri($"{Api}/{id}", UriKind.Relative));
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field_and_a_form_post_is_refused_as_415()
    {
        await using var app = await StartAsync();
        using var john = app.ClientFor(John);

        foreach (var (body, field) in new[]
        {
            ("""{"url":"not a url","description":"x"}""", "url"),
            ("""{"url":"https://hooks.example.com/a","format":"xml","description":"x"}""", "format"),
            ("""{"url":"https://hooks.example.com/a","description":""}""", "description"),
            ("""{"url":"https://user:pw@hooks.example.com/a","description":"x"}""", "url"),
            ("""{"url":"https://hooks.example.com/a","events":["activity_log.us*"],"description":"x"}""", "events"),
            ("""{"url":"https://hooks.example.com/a","events":[null],"description":"x"}""", "events"),
        })
        {
            using var response = await PostJsonAsync(john, Api, body);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, body);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).Should().Equal([field], body);
            (await response.Content.ReadAsStringAsync()).Should().NotContain("pw@", "a refused URL's credentials are not echoed");
        }

        using var smuggled = await PostJsonAsync(john, Api, """{"url":"https://hooks.example.com/a","description":"x","account_id":"globex"}""");
        smuggled.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await smuggled.Content.ReadAsStringAsync()).Should().Contain("account_id");
        using var malformed = await PostJsonAsync(john, Api, "{\"url\":");
        malformed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var huge = await PostJsonAsync(john, Api, "{\"description\":\"" + new string('x', 300_000) + "\"}");
        huge.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);

        using var form = new FormUrlEncodedContent([new("url", "https://hooks.example.com/a"), new("description", "Forged")]);
        using var formPost = await john.Http.PostAsync(new Uri(Api, UriKind.Relative), form);
        formPost.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        using var plain = new StringContent("""{"url":"https://hooks.example.com/a","description":"x"}""", Encoding.UTF8, "text/plain");
        using var plainPost = await john.Http.PostAsync(new Uri(Api, UriKind.Relative), plain);
        plainPost.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType, "text/plain is what a cross-site form or a no-preflight fetch can send");

        (await app.InTest!.ListAsync("acme")).Should().BeEmpty();
    }

    [Fact]
    public async Task Another_account_gets_404_for_every_route_with_acmes_id_and_an_empty_list()
    {
        await using var app = await StartAsync();
        using var jane = app.ClientFor(Jane);
        var acme = await app.InTest!.CreateAsync("acme", WebhookPageTests.Draft("Acme logging"));
        string id = acme.Subscription.Id.ToString("D");
        app.InTest.AddDeadLetter(acme.Subscription.Id, new WebhookDeadLetter("msg_acme1", 1, 10, "HTTP 500", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));

        (await jane.Http.GetStringAsync(new Uri(Api, UriKind.Relative))).Should().Be("{\"webhooks\":[]}");
        var requests = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Get, $"{Api}/{id}", null),
            (HttpMethod.Get, $"{Api}/{id}/attempts", null),
            (HttpMethod.Get, $"{Api}/{id}/dead-letters", null),
            (HttpMethod.Put, $"{Api}/{id}", """{"url":"https://evil.example.com/","description":"Mine"}"""),
            (HttpMethod.Post, $"{Api}/{id}/disable", "{}"),
            (HttpMethod.Post, $"{Api}/{id}/enable", """{"resume_from":"now"}"""),
            (HttpMethod.Post, $"{Api}/{id}/rotate", "{}"),
            (HttpMethod.Post, $"{Api}/{id}/test", "{}"),
            (HttpMethod.Post, $"{Api}/{id}/recover", """{"since":"2000-01-01T00:00:00Z"}"""),
            (HttpMethod.Post, $"{Api}/{id}/dead-letters/msg_acme1/redeliver", "{}"),
            (HttpMethod.Delete, $"{Api}/{id}", null),
        };
        foreach (var (method, path, body) in requests)
        {
            using var response = await SendJsonAsync(jane, method, path, body);
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, "{0} {1}", method, path);
            string text = await response.Content.ReadAsStringAsync();
            text.Should().NotContain("Acme").And.NotContain("whsec_").And.NotContain("msg_acme1");
        }

        var untouched = await app.InTest.GetAsync("acme", acme.Subscription.Id);
        untouched!.Description.Should().Be("Acme logging");
        untouched.Enabled.Should().BeTrue();
        untouched.PreviousSecretExpiresAt.Should().BeNull();
        app.InTest.Redelivered.Should().BeEmpty();
        app.InTest.Recovered.Should().BeEmpty();
    }

    private static Task<HttpResponseMessage> PostJsonAsync(PageClient client, string path, string body) => SendJsonAsync(client, HttpMethod.Post, path, body);

    private static Task<HttpResponseMessage> SendJsonAsync(PageClient client, HttpMethod method, string path, string? body)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return client.Http.SendAsync(request);
    }
}

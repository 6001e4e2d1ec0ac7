using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ActivityLog.AspNetCore.Endpoints;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Http;

namespace ActivityLog.AspNetCore.Webhooks;

/// <summary>
/// The JSON API of Settings → Webhooks under <c>{pattern}/api</c>: the same policy and account scoping as the pages.
/// </summary>
/// <remarks>
/// Cross-site request forgery: like the Activity Log API, these routes authenticate however the host does (often the
/// page's cookie). Instead of antiforgery tokens (which a bearer-token client could not obtain), every request that
/// changes something must be <c>application/json</c> (<c>{}</c> or no body for the actions without parameters):
/// an HTML form on another site cannot send that content type, and a script there needs a CORS preflight that the
/// host does not grant. <c>DELETE</c> cannot be sent by a form at all. Anything else is a 415.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "One instance per mapping, bound like the page handlers; the options are per mapping.")]
internal sealed class WebhookApiHandlers(ActivityLogWebhookEndpointOptions options, WebhookPaths paths)
{
    private const long MaxBodyBytes = 256 * 1024;
    private static readonly WebhookApiJsonContext Json = WebhookApiJsonContext.Default;

    public async Task ListAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var webhooks = await caller.Webhooks.ListAsync(caller.AccountId, context.RequestAborted).ConfigureAwait(false);
        await OkAsync(context, new WebhookListJson([.. webhooks.Select(WebhookJson.From)]), Json.WebhookListJson).ConfigureAwait(false);
    }

    public async Task CreateAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await ReadAsync(context, Json.WebhookDraftJson, allowEmpty: false).ConfigureAwait(false) is not { } body
            || await DraftAsync(context, body).ConfigureAwait(false) is not { } draft)
        {
            return;
        }

        CreatedWebhookSubscription created;
        try
        {
            created = await caller.Webhooks.CreateAsync(caller.AccountId, draft, context.RequestAborted).ConfigureAwait(false);
        }
        catch (WebhookSubscriptionException exception)
        {
            await InvalidAsync(context, exception.Field, ActivityLogEndpointHandlers.StripParameterSuffix(exception)).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = paths.Base(context) + "/api/" + created.Subscription.Id.ToString("D");
        await WriteAsync(context, new CreatedWebhookJson(WebhookJson.From(created.Subscription), created.Secret), Json.CreatedWebhookJson).ConfigureAwait(false);
    }

    public async Task GetAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        await WebhookAsync(context, await caller.Webhooks.GetAsync(caller.AccountId, WebhookCaller.RouteId(context), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public async Task UpdateAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await ReadAsync(context, Json.WebhookDraftJson, allowEmpty: false).ConfigureAwait(false) is not { } body
            || await DraftAsync(context, body).ConfigureAwait(false) is not { } draft)
        {
            return;
        }

        WebhookSubscription? updated;
        try
        {
            updated = await caller.Webhooks.UpdateAsync(caller.AccountId, WebhookCaller.RouteId(context), draft, context.RequestAborted).ConfigureAwait(false);
        }
        catch (WebhookSubscriptionException exception)
        {
            await InvalidAsync(context, exception.Field, ActivityLogEndpointHandlers.StripParameterSuffix(exception)).ConfigureAwait(false);
            return;
        }

        await WebhookAsync(context, updated).ConfigureAwait(false);
    }

    public async Task DeleteAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        if (await caller.Webhooks.DeleteAsync(caller.AccountId, WebhookCaller.RouteId(context), context.RequestAborted).ConfigureAwait(false))
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else
        {
            await NotFoundAsync(context).ConfigureAwait(false);
        }
    }

    public async Task EnableAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await ReadAsync(context, Json.EnableJson, allowEmpty: false).ConfigureAwait(false) is not { } body)
        {
            return;
        }

        WebhookResumeMode? mode = body.ResumeFrom switch
        {
            "backlog" => WebhookResumeMode.Backlog,
            "now" => WebhookResumeMode.Now,
            _ => null,
        };
        if (mode is null)
        {
            await InvalidAsync(context, "resume_from", "'resume_from' must be \"backlog\" (deliver what was kept while disabled) or \"now\" (discard it).").ConfigureAwait(false);
            return;
        }

        await WebhookAsync(context, await caller.Webhooks.EnableAsync(caller.AccountId, WebhookCaller.RouteId(context), mode.Value, context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public async Task DisableAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await ReadAsync(context, Json.EmptyJson, allowEmpty: true).ConfigureAwait(false) is null)
        {
            return;
        }

        await WebhookAsync(context, await caller.Webhooks.DisableAsync(caller.AccountId, WebhookCaller.RouteId(context), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public async Task RotateAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await ReadAsync(context, Json.EmptyJson, allowEmpty: true).ConfigureAwait(false) is null)
        {
            return;
        }

        if (await caller.Webhooks.RotateSecretAsync(caller.AccountId, WebhookCaller.RouteId(context), context.RequestAborted).ConfigureAwait(false) is not { } rotated)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        await OkAsync(context, new RotatedSecretJson(WebhookJson.From(rotated.Subscription), rotated.Secret, rotated.PreviousSecretExpiresAt), Json.RotatedSecretJson).ConfigureAwait(false);
    }

    public async Task TestAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await ReadAsync(context, Json.EmptyJson, allowEmpty: true).ConfigureAwait(false) is null)
        {
            return;
        }

        if (await caller.Webhooks.SendTestAsync(caller.AccountId, WebhookCaller.RouteId(context), context.RequestAborted).ConfigureAwait(false) is not { } attempt)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        await OkAsync(context, AttemptJson.From(attempt), Json.AttemptJson).ConfigureAwait(false);
    }

    public async Task RecoverAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await ReadAsync(context, Json.RecoverJson, allowEmpty: false).ConfigureAwait(false) is not { } body)
        {
            return;
        }

        if (body.Since is not { } since)
        {
            await InvalidAsync(context, "since", "'since' is required: the ISO 8601 time of the earliest failure to recover, such as 2026-12-04T09:30:00Z.").ConfigureAwait(false);
            return;
        }

        var id = WebhookCaller.RouteId(context);
        // The manager answers 0 for another account's id: look first, so that such an id is a 404 like everywhere else.
        if (await caller.Webhooks.GetAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        int count = await caller.Webhooks.RecoverAsync(caller.AccountId, id, since, context.RequestAborted).ConfigureAwait(false);
        await OkAsync(context, new RecoveredJson(count), Json.RecoveredJson).ConfigureAwait(false);
    }

    public async Task RedeliverAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await ReadAsync(context, Json.EmptyJson, allowEmpty: true).ConfigureAwait(false) is null)
        {
            return;
        }

        if (await caller.Webhooks.RedeliverAsync(caller.AccountId, WebhookCaller.RouteId(context), WebhookCaller.RouteMessageId(context), context.RequestAborted).ConfigureAwait(false))
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        else
        {
            await NotFoundAsync(context).ConfigureAwait(false);
        }
    }

    public async Task AttemptsAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await LimitAsync(context, options.AttemptsShown).ConfigureAwait(false) is not { } limit)
        {
            return;
        }

        var id = WebhookCaller.RouteId(context);
        if (await caller.Webhooks.GetAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        var attempts = await caller.Webhooks.ListAttemptsAsync(caller.AccountId, id, limit, context.RequestAborted).ConfigureAwait(false);
        await OkAsync(context, new AttemptListJson([.. attempts.Select(AttemptJson.From)]), Json.AttemptListJson).ConfigureAwait(false);
    }

    public async Task DeadLettersAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: false).ConfigureAwait(false) is not { } caller
            || await LimitAsync(context, options.DeadLettersShown).ConfigureAwait(false) is not { } limit)
        {
            return;
        }

        var id = WebhookCaller.RouteId(context);
        if (await caller.Webhooks.GetAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        var letters = await caller.Webhooks.ListDeadLettersAsync(caller.AccountId, id, limit, context.RequestAborted).ConfigureAwait(false);
        await OkAsync(context, new DeadLetterListJson([.. letters.Select(DeadLetterJson.From)]), Json.DeadLetterListJson).ConfigureAwait(false);
    }

    /// <summary>The request body, or <see langword="null"/> after answering 415 (not JSON) or 400 (malformed, naming the member).</summary>
    private static async Task<T?> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type, bool allowEmpty)
        where T : class, new()
    {
        if (!context.Request.HasJsonContentType())
        {
            await ProblemAsync(context, StatusCodes.Status415UnsupportedMediaType, "The request must be JSON.",
                "Send Content-Type: application/json with a JSON body ({} for actions without parameters). Requests a cross-site form could send are refused.").ConfigureAwait(false);
            return null;
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            await ProblemAsync(context, StatusCodes.Status413PayloadTooLarge, "The request is too large.", "The body may hold at most 256 KiB.").ConfigureAwait(false);
            return null;
        }

        // Bounded whatever the framing: a chunked body has no Content-Length to check up front.
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                await ProblemAsync(context, StatusCodes.Status413PayloadTooLarge, "The request is too large.", "The body may hold at most 256 KiB.").ConfigureAwait(false);
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            if (allowEmpty)
            {
                return new T();
            }

            await ProblemAsync(context, StatusCodes.Status400BadRequest, "The request body is missing.", "Send a JSON object.").ConfigureAwait(false);
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type)
                ?? throw new JsonException("The body must be a JSON object, not null.");
        }
        catch (JsonException exception)
        {
            // The path names the member ($.url, $.account_id); the message says what is wrong without echoing values.
            string where = string.IsNullOrEmpty(exception.Path) || exception.Path == "$" ? "The body" : $"'{exception.Path}'";
            string detail = exception.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"{where} is not a member of this request."
                : $"{where} is not valid JSON of the expected type.";
            await ProblemAsync(context, StatusCodes.Status400BadRequest, "The request is not valid.", detail).ConfigureAwait(false);
            return null;
        }
    }

    private static async Task<WebhookSubscriptionDraft?> DraftAsync(HttpContext context, WebhookDraftJson body)
    {
        var draft = new WebhookSubscriptionDraft { Description = body.Description };
        if (body.Url is not null)
        {
            if (!Uri.TryCreate(body.Url, UriKind.Absolute, out var url))
            {
                await InvalidAsync(context, "Url", "'url' must be an absolute URL, such as https://example.com/webhooks/activity.").ConfigureAwait(false);
                return null;
            }

            draft.Url = url;
        }

        switch (body.Format)
        {
            case null or "json":
                draft.Format = WebhookPayloadFormat.Json;
                break;
            case "jsonl":
                draft.Format = WebhookPayloadFormat.JsonLines;
                break;
            default:
                await InvalidAsync(context, "Format", "'format' must be \"json\" or \"jsonl\".").ConfigureAwait(false);
                return null;
        }

        foreach (string? name in body.Events ?? [])
        {
            if (name is null)
            {
                await InvalidAsync(context, "Events", "'events' must hold event names or patterns, not null.").ConfigureAwait(false);
                return null;
            }

            draft.Events.Add(name);
        }

        return draft;
    }

    private static async Task<int?> LimitAsync(HttpContext context, int defaultLimit)
    {
        var values = context.Request.Query["limit"];
        if (values.Count == 0)
        {
            return defaultLimit;
        }

        if (values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out int limit) && limit is >= 1 and <= 1_000)
        {
            return limit;
        }

        await InvalidAsync(context, "limit", "The query parameter 'limit' must be a whole number from 1 to 1,000, given once.").ConfigureAwait(false);
        return null;
    }

    private static Task WebhookAsync(HttpContext context, WebhookSubscription? webhook) =>
        webhook is null ? NotFoundAsync(context) : OkAsync(context, WebhookJson.From(webhook), Json.WebhookJson);

    private static Task OkAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return WriteAsync(context, value, type);
    }

    private static Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type) =>
        context.Response.WriteAsJsonAsync(value, type, "application/json; charset=utf-8", context.RequestAborted);

    // The same answer for another account's id and for no id at all: existence is never revealed.
    private static Task NotFoundAsync(HttpContext context) =>
        ProblemAsync(context, StatusCodes.Status404NotFound, "Not found.", "This account has no such webhook or message.");

    /// <summary>A 400 validation problem whose <c>errors</c> name the field in the API's spelling (<c>url</c>, <c>events</c>).</summary>
    private static Task InvalidAsync(HttpContext context, string field, string message) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [SnakeCase(field)] = [message] },
            detail: message,
            title: "The webhook is not valid.").ExecuteAsync(context);

    private static Task ProblemAsync(HttpContext context, int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);

    private static string SnakeCase(string field) => field.Length == 0 ? "body" : JsonNamingPolicy.SnakeCaseLower.ConvertName(field);
}

using System.Globalization;
using ActivityLog.AspNetCore.Endpoints;
using ActivityLog.AspNetCore.Internal;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.AspNetCore.Webhooks;

/// <summary>
/// The HTML routes of Settings → Webhooks. Each reads the account from the caller's identity (never from the URL or a
/// form), validates the antiforgery token of every POST before acting, and answers 404 for an id that is not the
/// account's (the same page whether it belongs to another account or to none: existence is never revealed).
/// Changes answer with a 303 to the details page (post/redirect/get), except those that show a secret or a result once.
/// </summary>
internal sealed class WebhookPageHandlers(ActivityLogWebhookEndpointOptions options, WebhookPaths paths)
{
    private static readonly Dictionary<string, string> NoErrors = [];

    public async Task ListAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: true).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var webhooks = await caller.Webhooks.ListAsync(caller.AccountId, context.RequestAborted).ConfigureAwait(false);
        string? notice = Value(context.Request.Query, "done") == "deleted" ? "The webhook was deleted." : null;
        string list = paths.List(context);
        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status200OK, options.Title, html => WebhookPageRenderer.List(html, options.Title, list, webhooks, notice)).ConfigureAwait(false);
    }

    public async Task NewAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: true).ConfigureAwait(false) is null)
        {
            return;
        }

        string list = paths.List(context);
        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status200OK, "Create New Webhook", html => WebhookPageRenderer.Form(html, context, list, WebhookForm.Empty, NoErrors)).ConfigureAwait(false);
    }

    public async Task CreateAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        string list = paths.List(context);
        var form = WebhookForm.From(await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false));
        var errors = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (form.ToDraft(errors) is { } draft)
        {
            try
            {
                var created = await caller.Webhooks.CreateAsync(caller.AccountId, draft, context.RequestAborted).ConfigureAwait(false);
                await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status200OK, "Webhook created", html => WebhookPageRenderer.Created(html, list, created)).ConfigureAwait(false);
                return;
            }
            catch (WebhookSubscriptionException exception)
            {
                errors[KnownField(exception.Field)] = ActivityLogEndpointHandlers.StripParameterSuffix(exception);
            }
        }

        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status400BadRequest, "Create New Webhook", html => WebhookPageRenderer.Form(html, context, list, form, errors)).ConfigureAwait(false);
    }

    public async Task DetailsAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: true).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        string? notice = Value(context.Request.Query, "done") switch
        {
            "enabled" => "The webhook is enabled.",
            "updated" => "The webhook was saved.",
            "disabled" => "The webhook is disabled. Events recorded meanwhile are kept as its backlog.",
            "redelivered" => "The message is due again, with the same webhook-id.",
            "recovered" => Recovered(context.Request.Query),
            _ => null,
        };
        await DetailsAsync(context, caller, StatusCodes.Status200OK, notice, NoErrors).ConfigureAwait(false);
    }

    public async Task EditAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: true).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var id = WebhookCaller.RouteId(context);
        if (await caller.Webhooks.GetAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false) is not { } webhook)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        string list = paths.List(context);
        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status200OK, "Edit webhook", html => WebhookPageRenderer.Form(html, context, list, WebhookForm.Of(webhook), NoErrors, id)).ConfigureAwait(false);
    }

    public async Task UpdateAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var id = WebhookCaller.RouteId(context);
        string list = paths.List(context);
        var form = WebhookForm.From(await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false));
        var errors = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (form.ToDraft(errors) is { } draft)
        {
            try
            {
                var updated = await caller.Webhooks.UpdateAsync(caller.AccountId, id, draft, context.RequestAborted).ConfigureAwait(false);
                await ChangedAsync(context, id, "updated", updated).ConfigureAwait(false);
                return;
            }
            catch (WebhookSubscriptionException exception)
            {
                errors[KnownField(exception.Field)] = ActivityLogEndpointHandlers.StripParameterSuffix(exception);
            }
        }

        // Only the account's own webhook gets its form back with the errors; any other id stays a plain 404.
        if (await caller.Webhooks.GetAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status400BadRequest, "Edit webhook", html => WebhookPageRenderer.Form(html, context, list, form, errors, id)).ConfigureAwait(false);
    }

    public async Task ConfirmDeleteAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: true).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        if (await caller.Webhooks.GetAsync(caller.AccountId, WebhookCaller.RouteId(context), context.RequestAborted).ConfigureAwait(false) is not { } webhook)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        string list = paths.List(context);
        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status200OK, "Delete webhook", html => WebhookDetailsRenderer.ConfirmDelete(html, context, list, webhook)).ConfigureAwait(false);
    }

    public async Task DeleteAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        if (!await caller.Webhooks.DeleteAsync(caller.AccountId, WebhookCaller.RouteId(context), context.RequestAborted).ConfigureAwait(false))
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        SeeOther(context, paths.List(context) + "?done=deleted");
    }

    public async Task EnableAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        WebhookResumeMode? mode = WebhookForm.Value(form, "resume_from") switch
        {
            "backlog" => WebhookResumeMode.Backlog,
            "now" => WebhookResumeMode.Now,
            _ => null,
        };
        if (mode is null)
        {
            var errors = new Dictionary<string, string> { ["resume_from"] = "Choose where to resume: from the backlog or from now." };
            await DetailsAsync(context, caller, StatusCodes.Status400BadRequest, null, errors).ConfigureAwait(false);
            return;
        }

        var id = WebhookCaller.RouteId(context);
        await ChangedAsync(context, id, "enabled", await caller.Webhooks.EnableAsync(caller.AccountId, id, mode.Value, context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public async Task DisableAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var id = WebhookCaller.RouteId(context);
        await ChangedAsync(context, id, "disabled", await caller.Webhooks.DisableAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public async Task RotateAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var id = WebhookCaller.RouteId(context);
        if (await caller.Webhooks.GetAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false) is not { } current)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (WebhookForm.Value(form, WebhookDetailsRenderer.RotationField) != WebhookDetailsRenderer.RotationToken(current))
        {
            // A form sent again (a refreshed result page, a second tab): rotating once more would replace the secret just shown.
            const string notice = "The secret was not rotated: it was rotated since this page was loaded. Rotate again from here if you meant to.";
            await DetailsAsync(context, caller, StatusCodes.Status409Conflict, notice, NoErrors).ConfigureAwait(false);
            return;
        }

        if (await caller.Webhooks.RotateSecretAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false) is not { } rotated)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        string list = paths.List(context);
        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status200OK, "New signing secret", html => WebhookDetailsRenderer.Rotated(html, list, rotated)).ConfigureAwait(false);
    }

    public async Task TestAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var id = WebhookCaller.RouteId(context);
        var webhook = await caller.Webhooks.GetAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false);
        var attempt = webhook is null ? null : await caller.Webhooks.SendTestAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false);
        if (webhook is null || attempt is null)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        string list = paths.List(context);
        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status200OK, "Test event", html => WebhookDetailsRenderer.TestResult(html, list, webhook, attempt)).ConfigureAwait(false);
    }

    public async Task RecoverAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (!WebhookForm.TryParseTime(WebhookForm.Value(form, "since"), out var since))
        {
            var errors = new Dictionary<string, string> { ["since"] = "Enter the date and time (UTC) of the earliest failure to recover, such as 2026-12-04T09:30." };
            await DetailsAsync(context, caller, StatusCodes.Status400BadRequest, null, errors).ConfigureAwait(false);
            return;
        }

        var id = WebhookCaller.RouteId(context);
        // The manager answers 0 for another account's id too: look first, so that such an id is a 404 and not "0 recovered".
        if (await caller.Webhooks.GetAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        int count = await caller.Webhooks.RecoverAsync(caller.AccountId, id, since, context.RequestAborted).ConfigureAwait(false);
        SeeOther(context, paths.Details(context, id) + "?done=recovered&count=" + count.ToString(CultureInfo.InvariantCulture));
    }

    public async Task RedeliverAsync(HttpContext context)
    {
        if (await RequirePostAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var id = WebhookCaller.RouteId(context);
        if (!await caller.Webhooks.RedeliverAsync(caller.AccountId, id, WebhookCaller.RouteMessageId(context), context.RequestAborted).ConfigureAwait(false))
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        SeeOther(context, paths.Details(context, id) + "?done=redelivered");
    }

    private async Task DetailsAsync(HttpContext context, WebhookCaller caller, int status, string? notice, IReadOnlyDictionary<string, string> errors)
    {
        var id = WebhookCaller.RouteId(context);
        var cancellation = context.RequestAborted;
        if (await caller.Webhooks.GetAsync(caller.AccountId, id, cancellation).ConfigureAwait(false) is not { } webhook)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        var attempts = await caller.Webhooks.ListAttemptsAsync(caller.AccountId, id, options.AttemptsShown, cancellation).ConfigureAwait(false);
        var deadLetters = await caller.Webhooks.ListDeadLettersAsync(caller.AccountId, id, options.DeadLettersShown, cancellation).ConfigureAwait(false);
        var details = new WebhookDetailsRenderer.Details(webhook, attempts, deadLetters, notice, errors);
        string list = paths.List(context);
        await WebhookPageRenderer.WriteAsync(context, status, webhook.Description, html => WebhookDetailsRenderer.Render(html, context, list, details)).ConfigureAwait(false);
    }

    /// <summary>The caller of a POST whose antiforgery token is valid, or <see langword="null"/> after refusing it.</summary>
    private async Task<WebhookCaller?> RequirePostAsync(HttpContext context)
    {
        if (await WebhookCaller.RequireAsync(context, html: true).ConfigureAwait(false) is not { } caller)
        {
            return null;
        }

        var antiforgery = context.RequestServices.GetService<IAntiforgery>() ?? throw new InvalidOperationException(WebhookCaller.MissingAntiforgery);
        if (context.Request.HasFormContentType && await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
        {
            return caller;
        }

        AspNetCoreLog.AntiforgeryRefused(CallerAccount.Logger(context), context.Request.Path);
        string list = paths.List(context);
        await WebhookPageRenderer.WriteAsync(context, StatusCodes.Status400BadRequest, "Form expired", html => WebhookPageRenderer.Message(
            html, list, "webhook-error", "This form has expired",
            "The form expired or did not come from this page, so nothing was changed. Go back, reload the page and try again.")).ConfigureAwait(false);
        return null;
    }

    private async Task ChangedAsync(HttpContext context, Guid id, string done, WebhookSubscription? changed)
    {
        if (changed is null)
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        SeeOther(context, paths.Details(context, id) + "?done=" + done);
    }

    private Task NotFoundAsync(HttpContext context)
    {
        string list = paths.List(context);
        return WebhookPageRenderer.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", html => WebhookPageRenderer.Message(
            html, list, "webhook-not-found", "Not found", "This account has no such webhook or message."));
    }

    private static void SeeOther(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = location;
    }

    private static string? Recovered(IQueryCollection query) =>
        int.TryParse(Value(query, "count"), NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            ? count == 1 ? "1 message is due again." : $"{count.ToString(CultureInfo.InvariantCulture)} messages are due again."
            : null;

    // Only the draft's fields have a place on the form; anything else is shown above it.
    private static string KnownField(string field) =>
        field is "Url" or "Format" or "Events" or "Description" or "Account" ? field : "";

    private static string? Value(IQueryCollection query, string name)
    {
        var values = query[name];
        return values.Count == 0 ? null : values[0];
    }
}

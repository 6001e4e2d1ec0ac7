using ActivityLog.AspNetCore;
using ActivityLog.AspNetCore.Webhooks;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Settings → Webhooks: each account's admins manage their own webhook subscriptions.</summary>
public static class ActivityLogWebhooksEndpointRouteBuilderExtensions
{
    /// <summary>The default route of the page: <c>/settings/webhooks</c>.</summary>
    public const string DefaultPattern = "/settings/webhooks";

    /// <summary>
    /// Maps Settings → Webhooks of the caller's account under <paramref name="pattern"/>: server-rendered pages (the list,
    /// <b>Create New Webhook</b>, an edit form, a details page with recent deliveries and dead letters, and buttons to redeliver, recover,
    /// send a test, rotate the secret, enable, disable and delete) whose forms are protected by ASP.NET Core antiforgery,
    /// and a JSON API under <c>{pattern}/api</c>. Everything goes through <see cref="IActivityWebhookSubscriptions"/>
    /// (registered by <c>AddWebhooks()</c>), always for the caller's own account: another account's id answers 404.
    /// </summary>
    /// <remarks>
    /// Every route requires <see cref="ActivityLogWebhookEndpointOptions.AuthorizationPolicy"/> (or the default policy)
    /// and reads the account from the caller as <see cref="ActivityLogHttpOptions"/> says, exactly like <c>MapActivityLog</c>.
    /// The host must register antiforgery (<c>services.AddAntiforgery()</c>); the page validates each form itself, so
    /// <c>app.UseAntiforgery()</c> is not needed for it. The API's changing requests must be <c>application/json</c>
    /// (a cross-site form cannot send that), so they need no antiforgery token.
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddActivityLog().AddEntityFrameworkStore&lt;AppDbContext&gt;().AddAspNetCore().AddWebhooks();
    /// builder.Services.AddAntiforgery();
    /// // …
    /// app.MapActivityLogWebhooks("/settings/webhooks", o =&gt; o.AuthorizationPolicy = "AccountAdmin");
    /// </code>
    /// </example>
    /// <param name="endpoints">The route builder (the <c>WebApplication</c>).</param>
    /// <param name="pattern">The list page's route; the other pages and the API live under it.</param>
    /// <param name="configure">Adjusts the options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The route group, for further conventions (more authorization, rate limiting). Calling
    /// <c>AllowAnonymous()</c> on it fails when the endpoints are built.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> or <paramref name="pattern"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><see cref="IActivityWebhookSubscriptions"/> (<c>AddWebhooks()</c>) or antiforgery (<c>AddAntiforgery()</c>) is not registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is out of range (the message names it).</exception>
    public static RouteGroupBuilder MapActivityLogWebhooks(
        this IEndpointRouteBuilder endpoints,
        string pattern = DefaultPattern,
        Action<ActivityLogWebhookEndpointOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var options = new ActivityLogWebhookEndpointOptions();
        configure?.Invoke(options);
        Validate(options);
        RequireServices(endpoints.ServiceProvider);

        var paths = new WebhookPaths(pattern);
        var page = new WebhookPageHandlers(options, paths);
        var api = new WebhookApiHandlers(options, paths);
        var group = endpoints.MapGroup(pattern);
        ActivityLogEndpointConventions.Protect(group, options.AuthorizationPolicy, "Settings → Webhooks", nameof(ActivityLogWebhookEndpointOptions));

        group.MapGet("", (RequestDelegate)page.ListAsync).WithDisplayName("Webhooks page");
        group.MapGet("/new", (RequestDelegate)page.NewAsync).WithDisplayName("Webhooks: new");
        group.MapPost("/new", (RequestDelegate)page.CreateAsync).WithDisplayName("Webhooks: create");
        group.MapGet("/{id:guid}", (RequestDelegate)page.DetailsAsync).WithDisplayName("Webhooks: details");
        group.MapGet("/{id:guid}/edit", (RequestDelegate)page.EditAsync).WithDisplayName("Webhooks: edit");
        group.MapPost("/{id:guid}/edit", (RequestDelegate)page.UpdateAsync).WithDisplayName("Webhooks: update");
        group.MapGet("/{id:guid}/delete", (RequestDelegate)page.ConfirmDeleteAsync).WithDisplayName("Webhooks: confirm delete");
        group.MapPost("/{id:guid}/delete", (RequestDelegate)page.DeleteAsync).WithDisplayName("Webhooks: delete");
        group.MapPost("/{id:guid}/enable", (RequestDelegate)page.EnableAsync).WithDisplayName("Webhooks: enable");
        group.MapPost("/{id:guid}/disable", (RequestDelegate)page.DisableAsync).WithDisplayName("Webhooks: disable");
        group.MapPost("/{id:guid}/rotate", (RequestDelegate)page.RotateAsync).WithDisplayName("Webhooks: rotate secret");
        group.MapPost("/{id:guid}/test", (RequestDelegate)page.TestAsync).WithDisplayName("Webhooks: send test");
        group.MapPost("/{id:guid}/recover", (RequestDelegate)page.RecoverAsync).WithDisplayName("Webhooks: recover");
        group.MapPost("/{id:guid}/dead-letters/{messageId}/redeliver", (RequestDelegate)page.RedeliverAsync).WithDisplayName("Webhooks: redeliver");

        group.MapGet("/api", (RequestDelegate)api.ListAsync).WithDisplayName("Webhooks API: list");
        group.MapPost("/api", (RequestDelegate)api.CreateAsync).WithDisplayName("Webhooks API: create");
        group.MapGet("/api/{id:guid}", (RequestDelegate)api.GetAsync).WithDisplayName("Webhooks API: get");
        group.MapPut("/api/{id:guid}", (RequestDelegate)api.UpdateAsync).WithDisplayName("Webhooks API: update");
        group.MapDelete("/api/{id:guid}", (RequestDelegate)api.DeleteAsync).WithDisplayName("Webhooks API: delete");
        group.MapPost("/api/{id:guid}/enable", (RequestDelegate)api.EnableAsync).WithDisplayName("Webhooks API: enable");
        group.MapPost("/api/{id:guid}/disable", (RequestDelegate)api.DisableAsync).WithDisplayName("Webhooks API: disable");
        group.MapPost("/api/{id:guid}/rotate", (RequestDelegate)api.RotateAsync).WithDisplayName("Webhooks API: rotate secret");
        group.MapPost("/api/{id:guid}/test", (RequestDelegate)api.TestAsync).WithDisplayName("Webhooks API: send test");
        group.MapPost("/api/{id:guid}/recover", (RequestDelegate)api.RecoverAsync).WithDisplayName("Webhooks API: recover");
        group.MapPost("/api/{id:guid}/dead-letters/{messageId}/redeliver", (RequestDelegate)api.RedeliverAsync).WithDisplayName("Webhooks API: redeliver");
        group.MapGet("/api/{id:guid}/attempts", (RequestDelegate)api.AttemptsAsync).WithDisplayName("Webhooks API: attempts");
        group.MapGet("/api/{id:guid}/dead-letters", (RequestDelegate)api.DeadLettersAsync).WithDisplayName("Webhooks API: dead letters");
        return group;
    }

    /// <summary>Fails at start, not at the first click, when a part the page cannot work without is missing.</summary>
    private static void RequireServices(IServiceProvider services)
    {
        if (services.GetService<IServiceProviderIsService>() is not { } probe)
        {
            return;   // The container cannot say; the handlers check again on each request.
        }

        if (!probe.IsService(typeof(IActivityWebhookSubscriptions)))
        {
            throw new InvalidOperationException(WebhookCaller.MissingWebhooks);
        }

        if (!probe.IsService(typeof(IAntiforgery)))
        {
            throw new InvalidOperationException(WebhookCaller.MissingAntiforgery);
        }
    }

    private static void Validate(ActivityLogWebhookEndpointOptions options)
    {
        var failures = new List<string>();
        var attributes = new ActivityLogWebhookEndpointOptionsValidator().Validate(nameof(ActivityLogWebhookEndpointOptions), options);
        if (attributes.Failed)
        {
            failures.AddRange(attributes.Failures);
        }

        if (options.AuthorizationPolicy is not null && string.IsNullOrWhiteSpace(options.AuthorizationPolicy))
        {
            failures.Add("ActivityLogWebhookEndpointOptions.AuthorizationPolicy must be null (the default policy) or a policy name.");
        }

        if (failures.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(nameof(ActivityLogWebhookEndpointOptions), typeof(ActivityLogWebhookEndpointOptions), failures);
        }
    }
}

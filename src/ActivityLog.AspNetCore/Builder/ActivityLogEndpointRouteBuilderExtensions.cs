using ActivityLog.AspNetCore;
using ActivityLog.AspNetCore.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the Activity Log page and its JSON API.</summary>
public static class ActivityLogEndpointRouteBuilderExtensions
{
    /// <summary>The default route of the page: <c>/settings/activity-log</c>.</summary>
    public const string DefaultPattern = "/settings/activity-log";

    /// <summary>
    /// Maps the Activity Log of the caller's account under <paramref name="pattern"/>:
    /// <list type="bullet">
    /// <item><c>GET {pattern}</c>: the HTML page (Actor, Description, Resource, Date; filters by date range, actor,
    /// resource type and name, event type and free text, all in the URL; "Load more" by cursor).</item>
    /// <item><c>GET {pattern}/events/{id}</c>: one event's details (sentence, actor, resources, changes as a from → to
    /// table, context, metadata, the webhook payload); another account's id answers 404.</item>
    /// <item><c>GET {pattern}/history?resource_type=…&amp;resource_id=…</c>: a resource's events oldest first, its state
    /// at a point in time (<c>at</c>) and the difference with another (<c>compare</c>).</item>
    /// <item><c>GET {pattern}/api/events</c>: one page as JSON, <c>{"events":[…],"next_cursor":…}</c>, filtered by
    /// <c>actor_type</c>, <c>actor_id</c>, <c>resource_type</c>, <c>resource_id</c>, <c>event</c> (repeatable, exact or
    /// <c>prefix.*</c>), <c>from</c>, <c>to</c> (ISO 8601), <c>page_size</c> and <c>cursor</c>; bad input is a 400
    /// problem response.</item>
    /// <item><c>GET {pattern}/api/export?format=jsonl|csv</c>: every matching event, streamed as a download.</item>
    /// </list>
    /// Every endpoint requires <see cref="ActivityLogEndpointOptions.AuthorizationPolicy"/> (or the default policy),
    /// reads the account from the caller as <see cref="ActivityLogHttpOptions"/> says (never from the query string)
    /// and answers 403 to a caller without one.
    /// </summary>
    /// <example>
    /// <code>
    /// app.MapActivityLog("/settings/activity-log", o =&gt; o.AuthorizationPolicy = "AccountAdmin");
    /// </code>
    /// </example>
    /// <param name="endpoints">The route builder (the <c>WebApplication</c>).</param>
    /// <param name="pattern">The page's route; the API lives under it.</param>
    /// <param name="configure">Adjusts the options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The route group, for further conventions (more authorization, rate limiting, CORS). Calling
    /// <c>AllowAnonymous()</c> on it fails when the endpoints are built.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> or <paramref name="pattern"/> is <see langword="null"/>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is out of range (the message names it).</exception>
    public static RouteGroupBuilder MapActivityLog(
        this IEndpointRouteBuilder endpoints,
        string pattern = DefaultPattern,
        Action<ActivityLogEndpointOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var options = new ActivityLogEndpointOptions();
        configure?.Invoke(options);
        Validate(options);

        var handlers = new ActivityLogEndpointHandlers(options, pattern);
        // The handlers own two small caches (filter choices, recent views): released when the app stops.
        endpoints.ServiceProvider.GetService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>()?.ApplicationStopped.Register(handlers.Dispose);
        var group = endpoints.MapGroup(pattern);
        ActivityLogEndpointConventions.Protect(group, options.AuthorizationPolicy, "Activity Log", nameof(ActivityLogEndpointOptions));
        group.MapGet("", (RequestDelegate)handlers.PageAsync).WithDisplayName("Activity Log page");
        group.MapGet("/events/{id}", (RequestDelegate)handlers.DetailsAsync).WithDisplayName("Activity Log event details");
        group.MapGet("/history", (RequestDelegate)handlers.HistoryAsync).WithDisplayName("Activity Log resource history");
        group.MapGet("/api/events", (RequestDelegate)handlers.EventsAsync).WithDisplayName("Activity Log events");
        group.MapGet("/api/export", (RequestDelegate)handlers.ExportAsync).WithDisplayName("Activity Log export");
        return group;
    }

    private static void Validate(ActivityLogEndpointOptions options)
    {
        var failures = new List<string>();
        var attributes = new ActivityLogEndpointOptionsValidator().Validate(nameof(ActivityLogEndpointOptions), options);
        if (attributes.Failed)
        {
            failures.AddRange(attributes.Failures);
        }

        if (options.AuthorizationPolicy is not null && string.IsNullOrWhiteSpace(options.AuthorizationPolicy))
        {
            failures.Add("ActivityLogEndpointOptions.AuthorizationPolicy must be null (the default policy) or a policy name.");
        }

        if (options.ViewCoalescingWindow < TimeSpan.Zero || options.ViewCoalescingWindow > TimeSpan.FromDays(1))
        {
            failures.Add($"ActivityLogEndpointOptions.ViewCoalescingWindow must be between 0 and 1 day (was {options.ViewCoalescingWindow}).");
        }

        if (options.Texts is null)
        {
            failures.Add("ActivityLogEndpointOptions.Texts must not be null.");
        }

        foreach (var (culture, texts) in options.Cultures)
        {
            if (texts is null)
            {
                failures.Add($"ActivityLogEndpointOptions.Cultures[\"{culture}\"] must not be null.");
            }
        }

        if (failures.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(nameof(ActivityLogEndpointOptions), typeof(ActivityLogEndpointOptions), failures);
        }
    }
}

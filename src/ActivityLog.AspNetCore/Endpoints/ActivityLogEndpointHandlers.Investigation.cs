// The history's exceptions name the query parameter the viewer got wrong (resource_type), shown on the page.
#pragma warning disable CA2208

using ActivityLog.AspNetCore.Page;
using Microsoft.AspNetCore.Http;

namespace ActivityLog.AspNetCore.Endpoints;

/// <summary>The handlers an investigation opens from a row: an event's details and a resource's history.</summary>
internal sealed partial class ActivityLogEndpointHandlers
{
    public async Task DetailsAsync(HttpContext context)
    {
        if (await RequireCallerAsync(context, html: true).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        // An id that is malformed or belongs to another account reads the same as a missing one: 404, nothing told.
        ActivityLogEvent? activity = null;
        if (Guid.TryParseExact(context.Request.RouteValues["id"] as string, "D", out var id))
        {
            activity = await caller.Reader.GetEventAsync(caller.AccountId, id, context.RequestAborted).ConfigureAwait(false);
        }

        if (activity is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
        else
        {
            _views.Viewed(context, caller.AccountId, "details", new() { ["event_id"] = activity.Id.ToString("D") });
        }

        string nonce = PageLayout.NewNonce();
        var model = new EventDetailsRenderer.Model(options.Title, BasePath(context), activity, caller.Formatter, caller.Culture, caller.Mask, options.JsonFields);
        await PageLayout.WriteAsync(context, EventDetailsRenderer.Render(model, nonce), nonce).ConfigureAwait(false);
    }

    public async Task HistoryAsync(HttpContext context)
    {
        if (await RequireCallerAsync(context, html: true).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var request = context.Request.Query;
        string? type = null, id = null, at = null, compare = null, zone = null;
        IReadOnlyList<ActivityLogEvent> events = [];
        string? next = null, error = null;
        ActivityResourceState? state = null;
        ActivityResourceDiff? diff = null;
        try
        {
            type = ActivityLogRequestFilters.Single(request, "resource_type")
                ?? throw new ArgumentException("A resource's history needs 'resource_type' and 'resource_id'.", "resource_type");
            id = ActivityLogRequestFilters.Single(request, "resource_id")
                ?? throw new ArgumentException("A resource's history needs 'resource_type' and 'resource_id'.", "resource_id");
            at = ActivityLogRequestFilters.Single(request, "at");
            compare = ActivityLogRequestFilters.Single(request, "compare");
            zone = ActivityLogRequestFilters.Single(request, "tz");
            string? cursor = ActivityLogRequestFilters.Single(request, "cursor");
            var page = await caller.Reader.ReadPageAsync(
                new ActivityLogQuery(caller.AccountId)
                {
                    ResourceType = type,
                    ResourceId = id,
                    Order = ActivityLogOrder.OldestFirst,
                    PageSize = options.PageSize,
                    Cursor = cursor,
                },
                context.RequestAborted).ConfigureAwait(false);
            events = page.Events;
            next = page.NextCursor;

            var timeZone = new PageFilterState(null, null, null, zone, null, null, null, null, null, null).Zone;
            if (at is not null)
            {
                var first = PageFilterState.Local(at, "at", timeZone, endOfDay: true);
                if (compare is not null)
                {
                    var second = PageFilterState.Local(compare, "compare", timeZone, endOfDay: true);
                    var (earlier, later) = first <= second ? (first, second) : (second, first);
                    diff = await caller.Reader.CompareResourceStatesAsync(caller.AccountId, type, id, earlier, later, context.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    state = await caller.Reader.GetResourceStateAsync(caller.AccountId, type, id, first, context.RequestAborted).ConfigureAwait(false);
                }
            }

            if (cursor is null)
            {
                var metadata = new Dictionary<string, object?> { ["resource_type"] = type, ["resource_id"] = id };
                if (at is not null)
                {
                    metadata["at"] = at;
                }

                if (compare is not null)
                {
                    metadata["compare"] = compare;
                }

                _views.Viewed(context, caller.AccountId, "history", metadata);
            }
        }
        catch (ArgumentException exception)
        {
            error = StripParameterSuffix(exception);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        string nonce = PageLayout.NewNonce();
        var model = new ResourceHistoryRenderer.Model(
            options.Title, BasePath(context), type ?? "", id ?? "", at, compare, zone, events, next, state, diff, error,
            caller.Formatter, caller.Culture, caller.Mask);
        await PageLayout.WriteAsync(context, ResourceHistoryRenderer.Render(model, nonce), nonce).ConfigureAwait(false);
    }
}

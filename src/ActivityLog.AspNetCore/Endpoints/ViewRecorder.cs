using ActivityLog.AspNetCore.Context;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.AspNetCore.Endpoints;

/// <summary>
/// Records who looked at the log, in the viewed account's own log (<see cref="ActivityLogEndpointOptions.RecordViews"/>):
/// <c>activity_log.activity_log.viewed</c> for the page, an event's details, a resource's history and a first JSON page,
/// <c>activity_log.activity_log.exported</c> for every export, each with the filters in its metadata. A repeat of the same
/// view by the same viewer with the same filters within <see cref="ActivityLogEndpointOptions.ViewCoalescingWindow"/>
/// is recorded once.
/// </summary>
/// <remarks>
/// Coalescing uses a <see cref="MemoryCache"/> of its own, bounded to <see cref="MaxRemembered"/> views (when full, a
/// view is simply recorded again): per process, so two app instances may each record one.
/// </remarks>
internal sealed class ViewRecorder : IDisposable
{
    public const string ViewedEvent = "activity_log.activity_log.viewed";
    public const string ExportedEvent = "activity_log.activity_log.exported";
    public const int MaxRemembered = 10_000;

    private readonly ActivityLogEndpointOptions _options;
    private readonly MemoryCache _recent = new(new MemoryCacheOptions { SizeLimit = MaxRemembered });

    public ViewRecorder(ActivityLogEndpointOptions options) => _options = options;

    /// <summary>Records a view unless the same one was recorded within the window.</summary>
    /// <param name="context">The request.</param>
    /// <param name="accountId">The viewed account (the caller's).</param>
    /// <param name="view">What was looked at: <c>page</c>, <c>details</c>, <c>history</c> or <c>api</c>.</param>
    /// <param name="metadata">The filters or ids the view used.</param>
    public void Viewed(HttpContext context, string accountId, string view, Dictionary<string, object?> metadata)
    {
        if (!_options.RecordViews)
        {
            return;
        }

        var actor = Actor(context);
        if (_options.ViewCoalescingWindow > TimeSpan.Zero)
        {
            string key = string.Join('\u001f', [accountId, actor.Type, actor.Id, view, .. metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}")]);
            if (_recent.TryGetValue(key, out _))
            {
                return;
            }

            _recent.Set(key, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _options.ViewCoalescingWindow });
        }

        metadata["view"] = view;
        Record(context, ViewedEvent, accountId, actor, metadata);
    }

    /// <summary>Records an export (never coalesced: each download is a copy of the data leaving).</summary>
    public void Exported(HttpContext context, string accountId, string format, Dictionary<string, object?> metadata)
    {
        if (!_options.RecordViews)
        {
            return;
        }

        metadata["format"] = format;
        Record(context, ExportedEvent, accountId, Actor(context), metadata);
    }

    private static void Record(HttpContext context, string name, string accountId, ActivityActor actor, Dictionary<string, object?> metadata)
    {
        var recorder = context.RequestServices.GetRequiredService<IActivityRecorder>();
        recorder.Record(
            name,
            new ActivityResource("activity_log", accountId, "Activity Log"),
            actor: actor,
            accountId: accountId,
            metadata: metadata);
    }

    private static ActivityActor Actor(HttpContext context) =>
        context.RequestServices.GetRequiredService<ActivityHttpContextReader>().ReadActor(context.User);

    public void Dispose() => _recent.Dispose();
}

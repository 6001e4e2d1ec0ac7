// The filters' exceptions name the query parameter the viewer got wrong (range, resource_type), shown on the page.
#pragma warning disable CA2208

using System.Globalization;
using ActivityLog.AspNetCore.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace ActivityLog.AspNetCore.Page;

/// <summary>
/// The list page's filters exactly as the URL carries them, so a link shared with a colleague reproduces the page:
/// <c>range</c> (<c>24h</c>, <c>7d</c>, <c>30d</c>, <c>custom</c> or none), <c>from</c>/<c>to</c> (custom days or
/// local times, <c>yyyy-MM-dd</c> or <c>yyyy-MM-ddTHH:mm</c>, in <c>tz</c>, an IANA zone the page's script fills in
/// from the browser; UTC when absent), <c>actor</c> (<c>type:id</c>), <c>resource_type</c>, <c>resource</c>
/// (<c>type:id</c> or <c>type</c>), <c>resource_name</c>, <c>event</c> (names or <c>prefix.*</c>) and <c>q</c> (free text).
/// </summary>
internal sealed record PageFilterState(
    string? Range,
    string? From,
    string? To,
    string? TimeZone,
    string? Actor,
    string? ResourceType,
    string? Resource,
    string? ResourceName,
    string? Event,
    string? Search)
{
    private static readonly string[] Names = ["range", "from", "to", "tz", "actor", "resource_type", "resource", "resource_name", "event", "q"];

    public static PageFilterState Read(IQueryCollection query) => new(
        Value(query, "range"), Value(query, "from"), Value(query, "to"), Value(query, "tz"), Value(query, "actor"),
        Value(query, "resource_type"), Value(query, "resource"), Value(query, "resource_name"), Value(query, "event"), Value(query, "q"));

    /// <summary>Whether no filter is set (the time zone alone filters nothing).</summary>
    public bool IsEmpty => this == new PageFilterState(null, null, null, TimeZone, null, null, null, null, null, null);

    /// <summary>The zone the viewer's times are in: <c>tz</c>, or UTC.</summary>
    /// <exception cref="ArgumentException"><c>tz</c> names no time zone.</exception>
    public TimeZoneInfo Zone => TimeZone is null
        ? TimeZoneInfo.Utc
        : TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var zone)
            ? zone
            : throw new ArgumentException($"The time zone 'tz' must be an IANA time zone such as Europe/Oslo; '{Clip(TimeZone)}' is not known.", "tz");

    /// <summary>The reader query for these filters.</summary>
    /// <exception cref="ArgumentException">A value is malformed; the message names the field.</exception>
    public ActivityLogQuery ToQuery(string accountId, DateTimeOffset now, int pageSize, string? cursor)
    {
        var (actorType, actorId) = ActivityLogRequestFilters.TypeAndId(Actor, "actor");
        var (resourceType, resourceId) = ActivityLogRequestFilters.TypeAndId(Resource, "resource");
        if (ResourceType is not null)
        {
            if (resourceType is not null && !string.Equals(resourceType, ResourceType, StringComparison.Ordinal))
            {
                throw new ArgumentException($"The filters 'resource' ({Clip(resourceType)}) and 'resource_type' ({Clip(ResourceType)}) name different types.", "resource_type");
            }

            resourceType = ResourceType;
        }

        var (from, to) = TimeRange(now);
        return new ActivityLogQuery(accountId)
        {
            ActorType = actorType,
            ActorId = actorId,
            ResourceType = resourceType,
            ResourceId = resourceId,
            ResourceName = ResourceName,
            EventNames = ActivityLogRequestFilters.EventList([Event], "event"),
            Search = Search,
            From = from,
            To = to,
            PageSize = pageSize,
            Cursor = cursor,
        };
    }

    /// <summary>The range as UTC bounds (<c>to</c> exclusive).</summary>
    /// <exception cref="ArgumentException">The range or a date is malformed.</exception>
    public (DateTimeOffset? From, DateTimeOffset? To) TimeRange(DateTimeOffset now) => Range switch
    {
        null or "all" => (null, null),
        "24h" => (now.AddHours(-24), null),
        "7d" => (now.AddDays(-7), null),
        "30d" => (now.AddDays(-30), null),
        "custom" => Custom(),
        _ => throw new ArgumentException("The filter 'range' must be 24h, 7d, 30d or custom.", "range"),
    };

    private (DateTimeOffset? From, DateTimeOffset? To) Custom()
    {
        var zone = Zone;
        DateTimeOffset? from = From is null ? null : Local(From, "from", zone, endOfDay: false);
        DateTimeOffset? to = To is null ? null : Local(To, "to", zone, endOfDay: true);
        if (from is { } f && to is { } t && f >= t)
        {
            throw new ArgumentException("The custom range's 'from' must be before its 'to'.", "from");
        }

        return (from, to);
    }

    /// <summary>
    /// A day (<c>yyyy-MM-dd</c>; the end of a range takes the whole day) or a local time (<c>yyyy-MM-ddTHH:mm[:ss]</c>)
    /// in the viewer's zone, as a UTC instant. A local time that a clock change skipped is taken after the change.
    /// </summary>
    public static DateTimeOffset Local(string value, string field, TimeZoneInfo zone, bool endOfDay)
    {
        string[] formats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];
        DateTime local;
        if (DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            local = endOfDay ? day.AddDays(1) : day;
        }
        else if (!DateTime.TryParseExact(value, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out local))
        {
            // An instant with an offset (2026-12-01T09:30:00Z) is taken as written.
            string[] instants = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];
            return DateTimeOffset.TryParseExact(value, instants, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
                ? instant.ToUniversalTime()
                : throw new ArgumentException($"The filter '{field}' must be a day (2026-12-01) or a local time (2026-12-01T09:30).", field);
        }

        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The query string of these filters (and a cursor), for "Load more" and shared links.</summary>
    public string ToQueryString(string? cursor = null)
    {
        var query = new QueryBuilder(Set());
        if (cursor is not null)
        {
            query.Add("cursor", cursor);
        }

        return query.ToQueryString().Value ?? "";
    }

    /// <summary>The filters as the viewing event's metadata records them (only those set).</summary>
    public Dictionary<string, object?> ToMetadata() => Set().ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal);

    /// <summary>The URL's parameters that are set, in the order the page writes them.</summary>
    private IEnumerable<KeyValuePair<string, string>> Set()
    {
        string?[] values = [Range, From, To, TimeZone, Actor, ResourceType, Resource, ResourceName, Event, Search];
        for (int i = 0; i < Names.Length; i++)
        {
            if (!string.IsNullOrWhiteSpace(values[i]))
            {
                yield return new(Names[i], values[i]!);
            }
        }
    }

    private static string? Value(IQueryCollection query, string name) => ActivityLogRequestFilters.Single(query, name);

    // A value from the URL quoted in an error message is cut short: the message is shown on the page.
    private static string Clip(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

using System.Globalization;
using ActivityLog.Naming;
using Microsoft.AspNetCore.Http;

namespace ActivityLog.AspNetCore.Endpoints;

/// <summary>
/// Turns query strings into <see cref="ActivityLogQuery"/> filters. The account never comes from here: the caller
/// passes the account it resolved from the request's identity, and any <c>account_id</c> in the query string is ignored.
/// </summary>
internal static class ActivityLogRequestFilters
{
    /// <summary>The filter parameters of <see cref="FromApi"/> (without the page size and cursor).</summary>
    public static readonly string[] ApiFilterNames =
        ["actor_type", "actor_id", "resource_type", "resource_id", "resource_name", "event", "q", "from", "to"];

    /// <summary>
    /// The JSON API's and the export's parameters: <c>actor_type</c>, <c>actor_id</c>, <c>resource_type</c>,
    /// <c>resource_id</c>, <c>resource_name</c>, <c>event</c> (repeatable), <c>q</c> (free text), <c>from</c>, <c>to</c>,
    /// <c>page_size</c>, <c>cursor</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A value is malformed; the message names the parameter.</exception>
    public static ActivityLogQuery FromApi(string accountId, IQueryCollection query, int defaultPageSize) => new(accountId)
    {
        ActorType = Single(query, "actor_type"),
        ActorId = Single(query, "actor_id"),
        ResourceType = Single(query, "resource_type"),
        ResourceId = Single(query, "resource_id"),
        ResourceName = Single(query, "resource_name"),
        EventNames = Events(query, "event"),
        Search = Single(query, "q"),
        From = Time(query, "from"),
        To = Time(query, "to"),
        PageSize = PageSize(query, defaultPageSize),
        Cursor = Single(query, "cursor"),
    };

    public static string? Single(IQueryCollection query, string name)
    {
        var values = query[name];
        if (values.Count > 1)
        {
            throw new ArgumentException($"The query parameter '{name}' may be given once.", name);
        }

        string? value = values.Count == 0 ? null : values[0]?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string[]? Events(IQueryCollection query, string parameter) => EventList(query[parameter], parameter);

    /// <summary>Event names or patterns from one or more values, each separated by commas or white space.</summary>
    /// <exception cref="ArgumentException">A name breaks the event-name grammar; the message names the parameter.</exception>
    public static string[]? EventList(IEnumerable<string?> values, string parameter)
    {
        // Each value may hold several names separated by commas or white space (the page's single text field).
        var names = new List<string>();
        foreach (string? value in values)
        {
            if (value is not null)
            {
                names.AddRange(value.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }

        // The one grammar the reader and webhooks use, checked here so that the error names the parameter.
        foreach (string name in names)
        {
            if (!ActivityEventName.TryParsePattern(name, out _, out string? problem))
            {
                throw new ArgumentException(ActivityEventName.PatternProblem(name, problem!, $"The query parameter '{parameter}'"), parameter);
            }
        }

        return names.Count == 0 ? null : [.. names];
    }

    private static DateTimeOffset? Time(IQueryCollection query, string name)
    {
        string? value = Single(query, name);
        if (value is null)
        {
            return null;
        }

        // ISO 8601; a time without an offset is taken as UTC, never as the server's local time.
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new ArgumentException($"The query parameter '{name}' must be an ISO 8601 date and time, such as 2026-11-26T09:30:00Z.", name);
    }

    private static int PageSize(IQueryCollection query, int defaultPageSize)
    {
        string? value = Single(query, "page_size");
        if (value is null)
        {
            return defaultPageSize;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int size) && size >= 1
            ? size
            : throw new ArgumentException("The query parameter 'page_size' must be a whole number of at least 1.");
    }

    public static (string? Type, string? Id) TypeAndId(string? value, string field)
    {
        if (value is null)
        {
            return (null, null);
        }

        int colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return (value, null);
        }

        string type = value[..colon].Trim();
        string id = value[(colon + 1)..].Trim();
        if (type.Length == 0)
        {
            throw new ArgumentException($"The {field} filter must be 'type:id' or 'type', such as {(field == "actor" ? "user:783" : "webhook:wh_1")}.", field);
        }

        return (type, id.Length == 0 ? null : id);
    }
}

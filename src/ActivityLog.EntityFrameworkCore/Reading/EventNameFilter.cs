// These exceptions name the reader's parameter (query), which is what the caller passed, rather than this helper's own.
#pragma warning disable CA2208

using ActivityLog.Naming;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary><see cref="ActivityLogQuery.EventNames"/> parsed into exact names and literal prefixes.</summary>
internal sealed class EventNameFilter
{
    private EventNameFilter(List<string> exact, List<string> prefixes)
    {
        Exact = exact;
        Prefixes = prefixes;
    }

    /// <summary>Exact names (an IN list).</summary>
    public List<string> Exact { get; }

    /// <summary>Literal prefixes ending in a dot, without the <c>*</c>; matched with a LIKE whose wildcards EF Core escapes.</summary>
    public List<string> Prefixes { get; }

    /// <summary>Parses the patterns; <see langword="null"/> when they match every name.</summary>
    /// <exception cref="ArgumentException">A pattern breaks the event-name grammar (<see cref="ActivityEventName"/>).</exception>
    public static EventNameFilter? Parse(IReadOnlyList<string>? patterns)
    {
        if (patterns is null || patterns.Count == 0)
        {
            return null;
        }

        if (patterns.Count > ActivityLogQuery.MaxEventNames)
        {
            throw new ArgumentException(
                $"An activity log query may name at most {ActivityLogQuery.MaxEventNames} event names or patterns; got {patterns.Count}.", "query");
        }

        var exact = new List<string>();
        var prefixes = new List<string>();
        for (int i = 0; i < patterns.Count; i++)
        {
            // The one grammar (ActivityEventName): exact names become an IN list, 'prefix.*' a LIKE on the prefix with
            // its dot, both served by the name index; the characters allowed need no escaping and fold the same everywhere.
            var pattern = ActivityEventName.ParsePattern(patterns[i], $"ActivityLogQuery.EventNames[{i}]", "query");
            switch (pattern.Kind)
            {
                case EventNamePatternKind.All:
                    return null;
                case EventNamePatternKind.Prefix:
                    prefixes.Add(pattern.Text);
                    break;
                default:
                    exact.Add(pattern.Text);
                    break;
            }
        }

        return new EventNameFilter(exact, prefixes);
    }
}

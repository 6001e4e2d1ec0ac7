// These exceptions name the reader's parameter (query), which is what the caller passed, rather than this helper's own.
#pragma warning disable CA2208

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

    /// <summary>Literal prefixes, without the <c>*</c>; matched with a LIKE whose wildcards EF Core escapes.</summary>
    public List<string> Prefixes { get; }

    /// <summary>Parses the patterns; <see langword="null"/> when they match every name.</summary>
    /// <exception cref="ArgumentException">A pattern is empty, too long or uses characters event names cannot have.</exception>
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
        foreach (string? pattern in patterns)
        {
            if (string.IsNullOrEmpty(pattern))
            {
                throw new ArgumentException("An event name filter is empty; use '*' to match every event name.", "query");
            }

            if (pattern == "*")
            {
                return null;
            }

            bool isPrefix = pattern[^1] == '*';
            string literal = isPrefix ? pattern[..^1] : pattern;
            if (literal.Length > ActivityLimits.MaxEventNameLength)
            {
                throw new ArgumentException(
                    $"An event name filter is {literal.Length} characters long; event names have at most {ActivityLimits.MaxEventNameLength}.", "query");
            }

            // Only the characters event names may have (the recorder enforces them), so that the filter means the same
            // on every database: no LIKE wildcard, and no upper case that SQLite's LIKE would fold and PostgreSQL's not.
            foreach (char c in literal)
            {
                if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.'))
                {
                    throw new ArgumentException(
                        $"The event name filter '{pattern}' contains '{c}': use lowercase letters, digits, '_' and '.', with an optional '*' at the end only.",
                        "query");
                }
            }

            (isPrefix ? prefixes : exact).Add(literal);
        }

        return new EventNameFilter(exact, prefixes);
    }
}

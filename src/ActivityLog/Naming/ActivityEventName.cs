namespace ActivityLog.Naming;

/// <summary>
/// The one event-name grammar every package uses: the recorder's names, the description templates' keys, the reader's
/// filters, the HTTP endpoints' <c>event</c> parameter and the webhook endpoints' <c>Events</c>.
/// </summary>
/// <remarks>
/// <para>A <b>segment</b> is lower snake_case: a lowercase ASCII letter, then lowercase letters, digits or underscores
/// (<c>user</c>, <c>api_token</c>). Resource and actor types follow the same rule, so any type can sit in a name.</para>
/// <para>A <b>name</b> is at least three dot-separated segments, at most <see cref="ActivityLimits.MaxEventNameLength"/>
/// characters: <c>activity_log.&lt;resource_type&gt;.&lt;verb&gt;</c>.</para>
/// <para>A <b>pattern</b> is an exact name, <c>*</c> alone (every name), or one or more segments followed by <c>.*</c>
/// (<c>activity_log.*</c>, <c>activity_log.user.*</c>). A wildcard is only ever a whole last segment: <c>activity_log.us*</c>
/// and <c>activity_log.*.created</c> are refused, so that a pattern means the same in memory and in SQL, and
/// <c>activity_log.user.*</c> never matches <c>activity_log.user_role.created</c>.</para>
/// </remarks>
internal static class ActivityEventName
{
    /// <summary>The name rule, for error messages.</summary>
    public const string NameGrammar =
        "an event name is 'activity_log.<resource_type>.<verb>': at least three segments separated by dots, each a lowercase letter followed by lowercase letters, digits or underscores";

    /// <summary>The pattern rule, for error messages.</summary>
    public const string PatternGrammar =
        "an event pattern is an exact event name (activity_log.user.updated), '*' alone, or segments followed by '.*' (activity_log.* or activity_log.user.*); '*' only ever stands for whole last segments";

    /// <summary>The segment rule, for error messages about resource and actor types.</summary>
    public const string SegmentGrammar =
        "lower snake_case: a lowercase letter followed by lowercase letters, digits or underscores (such as user or api_token)";

    /// <summary>Whether <paramref name="value"/> is a valid resource or actor type: one segment of at most <see cref="ActivityLimits.MaxTypeLength"/> characters.</summary>
    public static bool IsSegment(string? value) => DescribeType(value) is null;

    /// <summary>Why <paramref name="type"/> is not a valid resource or actor type, or <see langword="null"/> when it is.</summary>
    public static string? DescribeType(string? type)
    {
        if (string.IsNullOrEmpty(type))
        {
            return "it is empty";
        }

        if (type.Length > ActivityLimits.MaxTypeLength)
        {
            return $"it is {type.Length} characters long; at most {ActivityLimits.MaxTypeLength} are allowed";
        }

        if (type.Contains('.', StringComparison.Ordinal))
        {
            return "it contains '.'; a type is a single segment";
        }

        return DescribeSegments(type, 1);
    }

    /// <summary>Why <paramref name="name"/> is not a valid event name, or <see langword="null"/> when it is.</summary>
    public static string? DescribeName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "it is empty";
        }

        if (name.Length > ActivityLimits.MaxEventNameLength)
        {
            return $"it is {name.Length} characters long; at most {ActivityLimits.MaxEventNameLength} are allowed";
        }

        return DescribeSegments(name, 3);
    }

    /// <summary>Parses a pattern; the problem says why it is malformed (without the grammar, which callers add).</summary>
    public static bool TryParsePattern(string? pattern, out EventNamePattern parsed, out string? problem)
    {
        parsed = default;
        if (string.IsNullOrWhiteSpace(pattern))
        {
            problem = "it is empty; use '*' for every event";
            return false;
        }

        if (pattern == "*")
        {
            parsed = EventNamePattern.All;
            problem = null;
            return true;
        }

        bool prefix = pattern.EndsWith(".*", StringComparison.Ordinal);
        string literal = prefix ? pattern[..^2] : pattern;
        if (literal.Length > ActivityLimits.MaxEventNameLength)
        {
            problem = $"it is {pattern.Length} characters long; event names have at most {ActivityLimits.MaxEventNameLength}";
            return false;
        }

        if (literal.Contains('*', StringComparison.Ordinal) || literal.Length == 0)
        {
            problem = "it contains '*' other than as '*' alone or a whole last segment ('.*')";
            return false;
        }

        problem = DescribeSegments(literal, prefix ? 1 : 3);
        if (problem is not null)
        {
            return false;
        }

        parsed = prefix ? new EventNamePattern(EventNamePatternKind.Prefix, literal + ".") : new EventNamePattern(EventNamePatternKind.Exact, literal);
        return true;
    }

    /// <summary>Parses a pattern or throws.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <param name="field">The field the pattern came from (<c>EventNames[2]</c>), named in the message.</param>
    /// <param name="parameterName">The caller's parameter, for <see cref="ArgumentException.ParamName"/>; <paramref name="field"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The pattern is malformed; the message names <paramref name="field"/> and the grammar.</exception>
    public static EventNamePattern ParsePattern(string? pattern, string field, string? parameterName = null) =>
        TryParsePattern(pattern, out var parsed, out string? problem)
            ? parsed
            : throw new ArgumentException(PatternProblem(pattern, problem!, field), parameterName ?? field);

    /// <summary>The message for a malformed pattern: the field, the pattern, why, and the grammar.</summary>
    public static string PatternProblem(string? pattern, string problem, string field) =>
        string.IsNullOrWhiteSpace(pattern)
            ? $"{field}: an event pattern is empty ({problem}); {PatternGrammar}."
            : $"{field}: the event pattern '{pattern}' is malformed: {problem}; {PatternGrammar}.";

    /// <summary>Whether <paramref name="name"/> matches <paramref name="pattern"/>; a malformed pattern matches nothing.</summary>
    public static bool Matches(string? pattern, string? name) =>
        name is not null && TryParsePattern(pattern, out var parsed, out _) && parsed.Matches(name);

    // Segments by the recorder's rule: a lowercase letter first, then lowercase letters, digits and underscores.
    private static string? DescribeSegments(string text, int minimumSegments)
    {
        int segments = 1;
        bool segmentStart = true;
        foreach (char c in text)
        {
            if (c == '.')
            {
                if (segmentStart)
                {
                    return "it has an empty segment";
                }

                segments++;
                segmentStart = true;
            }
            else if (c is (>= 'a' and <= 'z') || (!segmentStart && (c is (>= '0' and <= '9') or '_')))
            {
                segmentStart = false;
            }
            else
            {
                return segmentStart
                    ? $"it contains '{c}' where a segment starts, which must be a lowercase letter"
                    : $"it contains '{c}'; only lowercase letters, digits and underscores are allowed";
            }
        }

        if (segmentStart)
        {
            return "it ends with a dot";
        }

        return segments < minimumSegments ? $"it needs at least {(minimumSegments == 3 ? "three segments" : "one segment")}" : null;
    }
}

/// <summary>What a pattern matches.</summary>
internal enum EventNamePatternKind
{
    /// <summary>Every name (<c>*</c>).</summary>
    All,

    /// <summary>One name.</summary>
    Exact,

    /// <summary>Names starting with <see cref="EventNamePattern.Text"/>, which ends with a dot.</summary>
    Prefix,
}

/// <summary>A parsed pattern: the one place a pattern is matched against a name.</summary>
/// <param name="Kind">What it matches.</param>
/// <param name="Text">The exact name, or the prefix with its trailing dot (<c>activity_log.user.</c>); empty for <see cref="EventNamePatternKind.All"/>.</param>
internal readonly record struct EventNamePattern(EventNamePatternKind Kind, string Text)
{
    /// <summary>The pattern <c>*</c>.</summary>
    public static EventNamePattern All { get; } = new(EventNamePatternKind.All, string.Empty);

    /// <summary>Whether <paramref name="name"/> matches. A store translates the same rule to SQL: equality, or a LIKE on the prefix.</summary>
    public bool Matches(string name) => Kind switch
    {
        EventNamePatternKind.All => true,
        EventNamePatternKind.Exact => string.Equals(name, Text, StringComparison.Ordinal),
        _ => name.StartsWith(Text, StringComparison.Ordinal),
    };
}

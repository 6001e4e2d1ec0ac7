using ActivityLog.Naming;

namespace ActivityLog.Webhooks.Internal;

/// <summary>
/// Matches event names against an endpoint's <see cref="WebhookEndpointOptions.Events"/> by the one event-name grammar
/// (<see cref="ActivityEventName"/>), the same the reader's filters use. Immutable and thread-safe.
/// </summary>
internal sealed class WebhookEventFilter
{
    private readonly bool _all;
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly EventNamePattern[] _prefixes;

    public WebhookEventFilter(IEnumerable<string> patterns)
    {
        var prefixes = new List<EventNamePattern>();
        bool any = false;
        int index = 0;
        foreach (string pattern in patterns)
        {
            any = true;
            var parsed = ActivityEventName.ParsePattern(pattern, $"Events:{index++}", nameof(patterns));
            switch (parsed.Kind)
            {
                case EventNamePatternKind.All:
                    _all = true;
                    break;
                case EventNamePatternKind.Prefix:
                    prefixes.Add(parsed);
                    break;
                default:
                    _exact.Add(parsed.Text);
                    break;
            }
        }

        _all |= !any;
        _prefixes = [.. prefixes];
    }

    public bool Accepts(string eventName)
    {
        if (_all || _exact.Contains(eventName))
        {
            return true;
        }

        foreach (var prefix in _prefixes)
        {
            if (prefix.Matches(eventName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Why a pattern is malformed (naming the grammar), or <see langword="null"/> when it is fine.</summary>
    public static string? Describe(string? pattern) =>
        ActivityEventName.TryParsePattern(pattern, out _, out string? problem)
            ? null
            : string.IsNullOrWhiteSpace(pattern)
                ? $"an event pattern is empty; {ActivityEventName.PatternGrammar}"
                : $"the event pattern '{pattern}' is malformed: {problem}; {ActivityEventName.PatternGrammar}";
}

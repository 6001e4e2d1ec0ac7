namespace ActivityLog.Webhooks.Internal;

/// <summary>Matches event names against an endpoint's <see cref="WebhookEndpointOptions.Events"/>. Immutable and thread-safe.</summary>
internal sealed class WebhookEventFilter
{
    private readonly bool _all;
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly string[] _prefixes;

    public WebhookEventFilter(IEnumerable<string> patterns)
    {
        var prefixes = new List<string>();
        bool any = false;
        foreach (string pattern in patterns)
        {
            any = true;
            if (Describe(pattern) is { } problem)
            {
                throw new ArgumentException(problem, nameof(patterns));
            }

            if (pattern == "*")
            {
                _all = true;
            }
            else if (pattern.EndsWith(".*", StringComparison.Ordinal))
            {
                prefixes.Add(pattern[..^1]); // keeps the dot: "activity_log.user." does not match "activity_log.username.x"
            }
            else
            {
                _exact.Add(pattern);
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

        foreach (string prefix in _prefixes)
        {
            if (eventName.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Why a pattern is malformed, or <see langword="null"/> when it is fine.</summary>
    public static string? Describe(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "an event pattern is empty";
        }

        if (pattern == "*")
        {
            return null;
        }

        int star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star >= 0 && (star != pattern.Length - 1 || star < 2 || pattern[star - 1] != '.'))
        {
            return $"the event pattern '{pattern}' is malformed: '*' may only end a pattern after a dot (activity_log.user.*) or stand alone";
        }

        if (pattern.Any(char.IsWhiteSpace))
        {
            return $"the event pattern '{pattern}' contains white space";
        }

        return null;
    }
}

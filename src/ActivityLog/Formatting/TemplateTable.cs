using ActivityLog.Naming;

namespace ActivityLog.Formatting;

/// <summary>
/// One culture's compiled templates, keyed by event-name pattern (<see cref="ActivityEventName"/>): an exact name wins,
/// then the longest matching <c>prefix.*</c>, then <c>*</c>. Immutable and thread-safe.
/// </summary>
internal sealed class TemplateTable
{
    private readonly Dictionary<string, DescriptionTemplate> _exact = new(StringComparer.Ordinal);
    private readonly (EventNamePattern Pattern, DescriptionTemplate Template)[] _prefixes;
    private readonly DescriptionTemplate? _all;

    /// <summary>Compiles templates.</summary>
    /// <exception cref="ArgumentException">A key breaks the event-name grammar, or a template is malformed.</exception>
    public TemplateTable(IReadOnlyDictionary<string, string> templates)
    {
        var prefixes = new List<(EventNamePattern, DescriptionTemplate)>();
        foreach (var (key, text) in templates)
        {
            var pattern = ParseKey(key);
            var template = DescriptionTemplate.Parse(text, key);
            switch (pattern.Kind)
            {
                case EventNamePatternKind.All:
                    _all = template;
                    break;
                case EventNamePatternKind.Prefix:
                    prefixes.Add((pattern, template));
                    break;
                default:
                    _exact[pattern.Text] = template;
                    break;
            }
        }

        // Longest prefix first: activity_log.user.* is more specific than activity_log.*.
        _prefixes = [.. prefixes.OrderByDescending(p => p.Item1.Text.Length)];
    }

    /// <summary>Checks a template key: an event name or a pattern, by the one grammar.</summary>
    /// <exception cref="ArgumentException">The key is malformed; the message says what the grammar is.</exception>
    public static EventNamePattern ParseKey(string? key) => ActivityEventName.ParsePattern(key, "description template key", "eventName");

    /// <summary>The template for a name, or <see langword="null"/> when none matches.</summary>
    public DescriptionTemplate? Find(string name)
    {
        if (_exact.TryGetValue(name, out var template))
        {
            return template;
        }

        foreach (var (pattern, prefixed) in _prefixes)
        {
            if (pattern.Matches(name))
            {
                return prefixed;
            }
        }

        return _all;
    }
}

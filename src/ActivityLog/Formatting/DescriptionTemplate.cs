using System.Globalization;
using System.Text;

// The parameter names in these exceptions name the caller's field (changes, related, accountId), which is
// what a developer needs to see, rather than this helper's own parameter.
#pragma warning disable CA2208

namespace ActivityLog.Formatting;

/// <summary>A description template parsed once into literal text and placeholders.</summary>
internal sealed class DescriptionTemplate
{
    private readonly Segment[] _segments;

    private DescriptionTemplate(Segment[] segments) => _segments = segments;

    /// <summary>Parses a template; throws an <see cref="ArgumentException"/> naming the event and the bad placeholder.</summary>
    public static DescriptionTemplate Parse(string template, string eventName)
    {
        var segments = new List<Segment>();
        var literal = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                literal.Append('{');
                i++;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                literal.Append('}');
                i++;
            }
            else if (c == '{')
            {
                int end = template.IndexOf('}', i + 1);
                if (end < 0)
                {
                    throw new ArgumentException(
                        $"The description template for '{eventName}' has a '{{' at position {i} without a closing '}}'.", nameof(template));
                }

                if (literal.Length > 0)
                {
                    segments.Add(Segment.Literal(literal.ToString()));
                    literal.Clear();
                }

                segments.Add(Segment.Placeholder(Placeholder.Parse(template[(i + 1)..end], eventName)));
                i = end;
            }
            else if (c == '}')
            {
                throw new ArgumentException(
                    $"The description template for '{eventName}' has a '}}' at position {i} without an opening '{{' (write '}}}}' for a literal brace).",
                    nameof(template));
            }
            else
            {
                literal.Append(c);
            }
        }

        if (literal.Length > 0)
        {
            segments.Add(Segment.Literal(literal.ToString()));
        }

        return new DescriptionTemplate([.. segments]);
    }

    public string Render(ActivityLogEvent activityEvent)
    {
        if (_segments.Length == 1 && _segments[0].Text is { } only)
        {
            return only;
        }

        var builder = new StringBuilder(64);
        bool collapsed = false;
        foreach (var segment in _segments)
        {
            string? text = segment.Text ?? segment.Value!.Resolve(activityEvent);
            if (string.IsNullOrEmpty(text))
            {
                collapsed = true;
                continue;
            }

            builder.Append(text);
        }

        return collapsed ? CollapseSpaces(builder) : builder.ToString();
    }

    private static string CollapseSpaces(StringBuilder builder)
    {
        // An empty placeholder leaves "the  webhook" or a trailing space: fold runs of spaces and trim.
        var result = new StringBuilder(builder.Length);
        bool lastWasSpace = true;
        for (int i = 0; i < builder.Length; i++)
        {
            char c = builder[i];
            if (c == ' ')
            {
                if (!lastWasSpace)
                {
                    result.Append(c);
                }

                lastWasSpace = true;
            }
            else
            {
                result.Append(c);
                lastWasSpace = false;
            }
        }

        while (result.Length > 0 && result[^1] == ' ')
        {
            result.Length--;
        }

        return result.ToString();
    }

    private readonly record struct Segment(string? Text, Placeholder? Value)
    {
        public static Segment Literal(string text) => new(text, null);

        public static Segment Placeholder(Placeholder value) => new(null, value);
    }

    private sealed class Placeholder
    {
        private readonly Func<ActivityLogEvent, string?> _resolve;

        private Placeholder(Func<ActivityLogEvent, string?> resolve) => _resolve = resolve;

        public string? Resolve(ActivityLogEvent activityEvent) => _resolve(activityEvent);

        public static Placeholder Parse(string path, string eventName)
        {
            string[] parts = path.Trim().Split('.');
            Func<ActivityLogEvent, string?>? resolve = parts switch
            {
                ["actor", "name"] => e => e.Actor.Name,
                ["actor", "type"] => e => Humanize(e.Actor.Type),
                ["actor", "id"] => e => e.Actor.Id,
                ["resource", var field] => ResourceField(field, e => e.Resource),
                ["related", var field] => ResourceField(field, e => e.RelatedResources.Count > 0 ? e.RelatedResources[0] : null),
                [var related, var field] when TryParseIndex(related, out int index) =>
                    ResourceField(field, e => e.RelatedResources.Count > index ? e.RelatedResources[index] : null),
                ["context", "ip_address" or "ip"] => e => e.Context?.IpAddress,
                ["context", "user_agent"] => e => e.Context?.UserAgent,
                ["context", "auth_method"] => e => e.Context?.AuthMethod,
                ["context", "correlation_id"] => e => e.Context?.CorrelationId,
                ["metadata", var key] => e => e.Metadata is { } m && m.TryGetValue(key, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) : null,
                ["changes", var field, "from"] => e => ChangeValue(e, field, to: false),
                ["changes", var field, "to"] => e => ChangeValue(e, field, to: true),
                ["event", "resource_type"] => e => Humanize(EventNameParts.ResourceType(e.Name)),
                ["event", "verb"] => e => Humanize(EventNameParts.Verb(e.Name)),
                _ => null,
            };

            return resolve is null
                ? throw new ArgumentException(
                    $"The description template for '{eventName}' uses the unknown placeholder '{{{path}}}'. " +
                    "Known: actor.name|type|id, resource.name|type|id, related.name|type|id, related[N].name|type|id, " +
                    "context.ip_address|user_agent|auth_method|correlation_id, metadata.KEY, changes.FIELD.from|to, event.resource_type|verb.",
                    "template")
                : new Placeholder(resolve);
        }

        private static Func<ActivityLogEvent, string?>? ResourceField(string field, Func<ActivityLogEvent, ActivityResource?> pick) => field switch
        {
            "name" => e => pick(e)?.Name,
            "type" => e => Humanize(pick(e)?.Type),
            "id" => e => pick(e)?.Id,
            _ => null,
        };

        private static bool TryParseIndex(string part, out int index)
        {
            index = 0;
            return part.StartsWith("related[", StringComparison.Ordinal) && part.EndsWith(']') &&
                   int.TryParse(part.AsSpan(8, part.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out index);
        }

        private static string? ChangeValue(ActivityLogEvent activityEvent, string field, bool to)
        {
            foreach (var change in activityEvent.Changes)
            {
                if (string.Equals(change.Field, field, StringComparison.Ordinal))
                {
                    return Convert.ToString(to ? change.To : change.From, CultureInfo.InvariantCulture);
                }
            }

            return null;
        }
    }

    internal static string? Humanize(string? identifier) => identifier?.Replace('_', ' ');
}

/// <summary>Reads the resource type and verb out of an event name (<c>activity_log.&lt;resource_type&gt;.&lt;verb&gt;</c>).</summary>
internal static class EventNameParts
{
    public static string Verb(string eventName)
    {
        int last = eventName.LastIndexOf('.');
        return last < 0 ? eventName : eventName[(last + 1)..];
    }

    public static string ResourceType(string eventName)
    {
        int last = eventName.LastIndexOf('.');
        if (last <= 0)
        {
            return eventName;
        }

        int previous = eventName.LastIndexOf('.', last - 1);
        return eventName[(previous + 1)..last];
    }
}

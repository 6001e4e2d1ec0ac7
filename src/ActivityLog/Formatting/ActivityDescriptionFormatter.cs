using ActivityLog.Formatting;

using System.Collections.Concurrent;
using System.Globalization;

namespace ActivityLog;

/// <summary>
/// Turns events into words: the <see cref="ActivityLogEvent.Description"/> predicate ("removed the webhook Logging from
/// Transactional") and the page's sentence ("John Doe removed the webhook Logging from Transactional.").
/// </summary>
/// <remarks>Templates are parsed once, when the formatter is created. Never throws for an event: an event without a
/// template gets the built-in default (see <see cref="ActivityDescriptionOptions"/>). Thread-safe.</remarks>
public sealed class ActivityDescriptionFormatter
{
    private static readonly DescriptionTemplate WithName = DescriptionTemplate.Parse("{event.verb} the {event.resource_type} {resource.name}", "default");
    private static readonly DescriptionTemplate WithoutName = DescriptionTemplate.Parse("{event.verb} a {event.resource_type}", "default");
    private static readonly DescriptionTemplate WithoutNameVowel = DescriptionTemplate.Parse("{event.verb} an {event.resource_type}", "default");

    private readonly TemplateTable _templates;
    private readonly Dictionary<string, TemplateTable> _cultures;
    private readonly ActivityDescriptionOptions _options;
    private readonly CultureInfo? _defaultCulture;
    private readonly TemplateTable[] _defaultChain;
    private readonly ConcurrentDictionary<CultureInfo, TemplateTable[]> _chains = new();

    /// <summary>Creates a formatter from options.</summary>
    /// <param name="options">The templates.</param>
    /// <exception cref="ArgumentException">A template is malformed or names an unknown placeholder, or a key is neither an event name nor an event-name pattern.</exception>
    public ActivityDescriptionFormatter(ActivityDescriptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _templates = Compile(options.Templates);
        _cultures = options.Cultures.ToDictionary(c => c.Key, c => Compile(c.Value), StringComparer.OrdinalIgnoreCase);
        _defaultChain = [_templates];
        _defaultCulture = options.Culture is null ? null : CultureInfo.GetCultureInfo(options.Culture);
    }

    /// <summary>The culture of stored descriptions (<see cref="ActivityDescriptionOptions.Culture"/>), or <see langword="null"/> for the default templates.</summary>
    public CultureInfo? Culture => _defaultCulture;

    /// <summary>The predicate for an event in a culture, falling back to parent cultures and then the default templates.</summary>
    /// <param name="activityEvent">The event.</param>
    /// <param name="culture">The culture, or <see langword="null"/> for the configured <see cref="Culture"/>.</param>
    /// <returns>The description, for example "updated the user profile".</returns>
    public string Describe(ActivityLogEvent activityEvent, CultureInfo? culture = null)
    {
        ArgumentNullException.ThrowIfNull(activityEvent);
        culture ??= _defaultCulture;
        foreach (var templates in Chain(culture))
        {
            if (templates.Find(activityEvent.Name) is { } template)
            {
                return template.Render(activityEvent);
            }
        }

        // A stored event keeps the description it was recorded with when no template is known here.
        if (activityEvent.Description is { Length: > 0 } stored)
        {
            return stored;
        }

        if (activityEvent.Resource?.Name is { Length: > 0 })
        {
            return WithName.Render(activityEvent);
        }

        // "added a domain", "created an api token": the article follows the first letter of the resource type.
        return (EventNameParts.ResourceType(activityEvent.Name) is ['a' or 'e' or 'i' or 'o' or 'u', ..] ? WithoutNameVowel : WithoutName).Render(activityEvent);
    }

    /// <summary>The page's sentence: "<c>&lt;actor name or Someone&gt; &lt;description&gt;.</c>".</summary>
    /// <param name="activityEvent">The event.</param>
    /// <param name="culture">The viewer's culture, or <see langword="null"/> for the configured one.</param>
    /// <returns>The sentence, for example "John Doe removed the webhook Logging from Transactional."</returns>
    public string FormatSentence(ActivityLogEvent activityEvent, CultureInfo? culture = null)
    {
        ArgumentNullException.ThrowIfNull(activityEvent);
        culture ??= _defaultCulture;
        string description = culture == _defaultCulture && activityEvent.Description is { Length: > 0 } stored
            ? stored
            : Describe(activityEvent, culture);
        string actor = activityEvent.Actor.IsUnknown || string.IsNullOrWhiteSpace(activityEvent.Actor.Name)
            ? UnknownActorName(culture)
            : activityEvent.Actor.Name;
        return description.EndsWith('.') ? $"{actor} {description}" : $"{actor} {description}.";
    }

    private string UnknownActorName(CultureInfo? culture)
    {
        for (var c = culture; c is not null && !Equals(c, CultureInfo.InvariantCulture); c = c.Parent)
        {
            if (_options.UnknownActorNames.TryGetValue(c.Name, out var name))
            {
                return name;
            }
        }

        return _options.UnknownActorName;
    }

    private TemplateTable[] Chain(CultureInfo? culture)
    {
        if (culture is null || _cultures.Count == 0)
        {
            return _defaultChain;
        }

        return _chains.GetOrAdd(culture, c =>
        {
            var chain = new List<TemplateTable>();
            for (var current = c; !Equals(current, CultureInfo.InvariantCulture); current = current.Parent)
            {
                if (_cultures.TryGetValue(current.Name, out var templates))
                {
                    chain.Add(templates);
                }
            }

            chain.Add(_templates);
            return [.. chain];
        });
    }

    private static TemplateTable Compile(Dictionary<string, string> templates) => new(templates);
}

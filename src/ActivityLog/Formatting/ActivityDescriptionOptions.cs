using ActivityLog.Formatting;
namespace ActivityLog;

/// <summary>
/// Description templates: the predicate shown after the actor's name ("removed the webhook {resource.name} from
/// {related.name}"), keyed by event name, per culture. Bindable from configuration (section
/// <c>ActivityLog:Descriptions</c>).
/// </summary>
/// <remarks>
/// <para>Placeholders (unknown ones fail at start with an <see cref="ArgumentException"/>):</para>
/// <list type="bullet">
/// <item><c>{actor.name}</c>, <c>{actor.type}</c>, <c>{actor.id}</c></item>
/// <item><c>{resource.name}</c>, <c>{resource.type}</c> (underscores read as spaces), <c>{resource.id}</c></item>
/// <item><c>{related.name}</c>, <c>{related.type}</c>, <c>{related.id}</c> (the first related resource), and
/// <c>{related[1].name}</c> and so on by index</item>
/// <item><c>{context.ip_address}</c>, <c>{context.user_agent}</c>, <c>{context.auth_method}</c>, <c>{context.correlation_id}</c></item>
/// <item><c>{metadata.KEY}</c>, <c>{changes.FIELD.from}</c>, <c>{changes.FIELD.to}</c> (after redaction)</item>
/// <item><c>{event.resource_type}</c> and <c>{event.verb}</c>: the last two segments of the event name, underscores read as spaces</item>
/// </list>
/// <para>Keys follow the event-name grammar the reader and webhooks use: an exact name
/// (<c>activity_log.webhook.removed</c>), whole segments followed by <c>.*</c> (<c>activity_log.user.*</c>) or <c>*</c>.
/// An exact name wins over a pattern, and a longer pattern over a shorter one. Any other key (<c>activity_log.us*</c>,
/// <c>Activity_Log.User.Updated</c>) fails at start with an <see cref="ArgumentException"/>.</para>
/// <para>Write <c>{{</c> and <c>}}</c> for literal braces. A placeholder with no value renders as nothing and the
/// surrounding spaces are collapsed.</para>
/// <para>
/// Events without a template get the built-in default: "<c>{event.verb} the {event.resource_type} {resource.name}</c>"
/// when the resource has a name ("created the field First Name"), else "<c>{event.verb} a {event.resource_type}</c>"
/// ("added a domain"; "an" before a vowel). That covers <c>created</c>, <c>updated</c> and <c>deleted</c> and reads well for any verb in the past tense.
/// </para>
/// </remarks>
public sealed class ActivityDescriptionOptions
{
    /// <summary>Templates for the default culture, keyed by event name.</summary>
    /// <value>Empty by default: every event uses the built-in default.</value>
    public Dictionary<string, string> Templates { get; } = new(StringComparer.Ordinal);

    /// <summary>Templates per culture name (<c>de</c>, <c>fr-CA</c>), keyed by event name; a culture falls back to its parent, then to <see cref="Templates"/>.</summary>
    /// <value>Empty by default.</value>
    public Dictionary<string, Dictionary<string, string>> Cultures { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The name a sentence starts with when the actor is unknown or has no name.</summary>
    /// <value><c>Someone</c>.</value>
    public string UnknownActorName { get; set; } = "Someone";

    /// <summary><see cref="UnknownActorName"/> per culture name.</summary>
    /// <value>Empty by default.</value>
    public Dictionary<string, string> UnknownActorNames { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The culture of the <see cref="ActivityLogEvent.Description"/> the pipeline stores; <see langword="null"/> uses <see cref="Templates"/>.</summary>
    /// <value><see langword="null"/>.</value>
    public string? Culture { get; set; }

    /// <summary>Adds or replaces a template.</summary>
    /// <param name="eventName">The event name, such as <c>activity_log.webhook.removed</c>, or a pattern such as <c>activity_log.user.*</c>.</param>
    /// <param name="template">The template, such as <c>removed the webhook {resource.name} from {related.name}</c>.</param>
    /// <param name="culture">The culture name, or <see langword="null"/> for the default templates.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentException">An argument is empty, <paramref name="eventName"/> is neither an event name nor an event-name pattern, or the template names an unknown placeholder.</exception>
    public ActivityDescriptionOptions AddTemplate(string eventName, string template, string? culture = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        ArgumentException.ThrowIfNullOrWhiteSpace(template);
        _ = TemplateTable.ParseKey(eventName);
        _ = DescriptionTemplate.Parse(template, eventName);
        if (culture is null)
        {
            Templates[eventName] = template;
        }
        else
        {
            if (!Cultures.TryGetValue(culture, out var templates))
            {
                templates = new Dictionary<string, string>(StringComparer.Ordinal);
                Cultures[culture] = templates;
            }

            templates[eventName] = template;
        }

        return this;
    }
}

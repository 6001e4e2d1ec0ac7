namespace ActivityLog;

/// <summary>What app code records: the input of <see cref="IActivityRecorder.Record(in ActivityEntry)"/>.</summary>
/// <remarks>
/// A <see langword="ref struct"/> so that changes and related resources can be passed as stack-allocated spans
/// (<c>changes: [ActivityChange.Of("name", "Jane", "Janet")]</c>): the recorder copies them once into the event.
/// Anything left unset is taken from the ambient <see cref="ActivityScope"/>.
/// </remarks>
/// <param name="eventName">The event name, such as <c>activity_log.user.updated</c>.</param>
public ref struct ActivityEntry(string eventName)
{
    /// <summary>The event name: at least three dot-separated snake_case segments, <c>&lt;namespace&gt;.&lt;resource_type&gt;.&lt;verb&gt;</c>.</summary>
    public string EventName { get; set; } = eventName;

    /// <summary>Who did it. When <see langword="null"/>, the ambient actor is used, else the unknown actor.</summary>
    public ActivityActor? Actor { get; set; }

    /// <summary>What it was done to.</summary>
    public ActivityResource? Resource { get; set; }

    /// <summary>Other resources the sentence mentions.</summary>
    public ReadOnlySpan<ActivityResource> RelatedResources { get; set; }

    /// <summary>The changed fields.</summary>
    public ReadOnlySpan<ActivityChange> Changes { get; set; }

    /// <summary>The account; when <see langword="null"/>, the ambient account.</summary>
    public string? AccountId { get; set; }

    /// <summary>Request context; values left empty are taken from the ambient context.</summary>
    public ActivityRequestContext? Context { get; set; }

    /// <summary>Free-form extra values.</summary>
    public IReadOnlyDictionary<string, object?>? Metadata { get; set; }
}

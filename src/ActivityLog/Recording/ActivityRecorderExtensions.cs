namespace ActivityLog;

/// <summary>The one-statement way to record an activity from app code.</summary>
public static class ActivityRecorderExtensions
{
    /// <summary>Records one activity; every argument but the event name is optional and best passed by name.</summary>
    /// <example>
    /// <code>
    /// recorder.Record("activity_log.webhook.removed",
    ///     resource: new("webhook", webhook.Id, webhook.Name),
    ///     related: [new("sending_stream", stream.Id, stream.Name)]);
    /// </code>
    /// </example>
    /// <param name="recorder">The recorder.</param>
    /// <param name="eventName">The event name, such as <c>activity_log.user.updated</c>.</param>
    /// <param name="resource">What it was done to.</param>
    /// <param name="changes">The changed fields, for example <c>[ActivityChange.Of("name", "Jane", "Janet")]</c>.</param>
    /// <param name="actor">Who did it; when <see langword="null"/>, the ambient actor, else the unknown actor.</param>
    /// <param name="related">Other resources the sentence mentions.</param>
    /// <param name="accountId">The account; when <see langword="null"/>, the ambient account.</param>
    /// <param name="context">Request context; gaps are filled from the ambient context.</param>
    /// <param name="metadata">Free-form extra values.</param>
    /// <exception cref="ArgumentNullException"><paramref name="recorder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The input is invalid: the message names the bad field.</exception>
    public static void Record(
        this IActivityRecorder recorder,
        string eventName,
        ActivityResource? resource = null,
        ReadOnlySpan<ActivityChange> changes = default,
        ActivityActor? actor = null,
        ReadOnlySpan<ActivityResource> related = default,
        string? accountId = null,
        ActivityRequestContext? context = null,
        IReadOnlyDictionary<string, object?>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        recorder.Record(new ActivityEntry(eventName)
        {
            Actor = actor,
            Resource = resource,
            Changes = changes,
            RelatedResources = related,
            AccountId = accountId,
            Context = context,
            Metadata = metadata,
        });
    }
}

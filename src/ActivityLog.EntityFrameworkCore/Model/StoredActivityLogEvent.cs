namespace ActivityLog.EntityFrameworkCore;

/// <summary>
/// One row of the activity log table: an <see cref="ActivityLogEvent"/> after the pipeline (redacted, described), in
/// columns the reader filters on plus JSON columns for the rest.
/// </summary>
/// <remarks>
/// Mapped into the host's own model by <see cref="Microsoft.EntityFrameworkCore.ActivityLogModelBuilderExtensions.AddActivityLog"/>. Convert with
/// <see cref="ToActivityLogEvent"/> and <see cref="FromActivityLogEvent(ActivityLogEvent, string)"/>; the JSON columns use the payload's shapes
/// (<see cref="Serialization.ActivityJsonParts"/>).
/// </remarks>
public sealed class StoredActivityLogEvent
{
    /// <summary>The event's time-ordered id (UUIDv7); the primary key, which makes retried writes idempotent.</summary>
    public Guid Id { get; set; }

    /// <summary>The account the event belongs to; the reader always filters on it.</summary>
    public string? AccountId { get; set; }

    /// <summary>The event name, such as <c>activity_log.user.updated</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The sentence shown on the Activity Log page, without the actor.</summary>
    public string? Description { get; set; }

    /// <summary>When it happened, in UTC (<see cref="DateTimeKind.Utc"/>), to the microsecond.</summary>
    public DateTime OccurredAt { get; set; }

    /// <summary>The actor's type: <c>user</c>, <c>api_token</c>, <c>system</c> or <c>unknown</c>.</summary>
    public string ActorType { get; set; } = ActivityActorTypes.Unknown;

    /// <summary>The actor's id as text.</summary>
    public string? ActorId { get; set; }

    /// <summary>Whether the actor's id was a number, so that it reads back as a JSON number.</summary>
    public bool ActorIdIsNumber { get; set; }

    /// <summary>The actor's display name.</summary>
    public string? ActorName { get; set; }

    /// <summary>The resource's type, such as <c>webhook</c>.</summary>
    public string? ResourceType { get; set; }

    /// <summary>The resource's id.</summary>
    public string? ResourceId { get; set; }

    /// <summary>The resource's display name.</summary>
    public string? ResourceName { get; set; }

    /// <summary>Related resources as a JSON array, or <see langword="null"/>.</summary>
    public string? RelatedResources { get; set; }

    /// <summary>Changes as the payload's JSON object <c>{"field":{"to":…,"from":…}}</c>.</summary>
    public string Changes { get; set; } = "{}";

    /// <summary>Request context as a JSON object, or <see langword="null"/>.</summary>
    public string? Context { get; set; }

    /// <summary>Metadata as a JSON object, or <see langword="null"/>.</summary>
    public string? Metadata { get; set; }

    /// <summary>
    /// What the reader's <see cref="ActivityLogQuery.Search"/> looks in: the description, the actor's, resource's and
    /// related resources' names and the string and number values of the changes, one per line, without values equal to
    /// the redaction mask; <see langword="null"/> when there is none. Written with the row, never read back into an event.
    /// </summary>
    public string? SearchText { get; set; }

    /// <summary>Builds a row from an event that went through the pipeline with the default redaction mask (<c>[FILTERED]</c>).</summary>
    /// <param name="activityEvent">The processed event (it has an id).</param>
    /// <returns>The row.</returns>
    /// <exception cref="ArgumentException">The event has no id: it was not processed.</exception>
    public static StoredActivityLogEvent FromActivityLogEvent(ActivityLogEvent activityEvent) =>
        FromActivityLogEvent(activityEvent, DefaultMask);

    /// <summary>Builds a row from an event that went through the pipeline.</summary>
    /// <param name="activityEvent">The processed event (it has an id).</param>
    /// <param name="redactionMask">
    /// The mask the pipeline wrote for sensitive values (<see cref="ActivityRedactionOptions.Mask"/>): change values equal
    /// to it are left out of <see cref="SearchText"/>, so that searching for the mask does not find every redacted event.
    /// </param>
    /// <returns>The row.</returns>
    /// <exception cref="ArgumentException">The event has no id: it was not processed.</exception>
    public static StoredActivityLogEvent FromActivityLogEvent(ActivityLogEvent activityEvent, string redactionMask)
    {
        ArgumentNullException.ThrowIfNull(activityEvent);
        ArgumentNullException.ThrowIfNull(redactionMask);
        if (activityEvent.Id == Guid.Empty)
        {
            throw new ArgumentException("The event has no id: store events only after the pipeline processed them.", nameof(activityEvent));
        }

        var actor = activityEvent.Actor;
        var resource = activityEvent.Resource;
        string changes = Serialization.ActivityJsonParts.SerializeChanges(activityEvent.Changes);
        return new StoredActivityLogEvent
        {
            Id = activityEvent.Id,
            AccountId = activityEvent.AccountId,
            Name = activityEvent.Name,
            Description = activityEvent.Description,
            // PostgreSQL keeps microseconds; truncating here makes every provider store (and page on) the same value.
            OccurredAt = TruncateToMicroseconds(activityEvent.Timestamp.UtcDateTime),
            ActorType = actor.Type,
            ActorId = actor.Id,
            ActorIdIsNumber = actor.HasNumericId,
            ActorName = actor.Name,
            ResourceType = resource?.Type,
            ResourceId = resource?.Id,
            ResourceName = resource?.Name,
            RelatedResources = Serialization.ActivityJsonParts.SerializeResources(activityEvent.RelatedResources),
            Changes = changes,
            Context = Serialization.ActivityJsonParts.SerializeContext(activityEvent.Context),
            Metadata = Serialization.ActivityJsonParts.SerializeMetadata(activityEvent.Metadata),
            SearchText = Search.ActivitySearchText.Build(activityEvent, changes, redactionMask),
        };
    }

    /// <summary>Reads the row back as an event, as the pipeline left it.</summary>
    /// <returns>The event.</returns>
    public ActivityLogEvent ToActivityLogEvent()
    {
        ActivityActor actor = ActorType == ActivityActorTypes.Unknown
            ? ActivityActor.Unknown
            : ActorIdIsNumber && long.TryParse(ActorId, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long number)
                ? new ActivityActor(ActorType, number, ActorName)
                : new ActivityActor(ActorType, ActorId, ActorName);
        return new ActivityLogEvent
        {
            Id = Id,
            Name = Name,
            Description = Description,
            Actor = actor,
            Resource = ResourceType is null ? null : new ActivityResource(ResourceType, ResourceId, ResourceName),
            RelatedResources = Serialization.ActivityJsonParts.DeserializeResources(RelatedResources),
            Changes = Serialization.ActivityJsonParts.DeserializeChanges(Changes),
            Timestamp = new DateTimeOffset(DateTime.SpecifyKind(OccurredAt, DateTimeKind.Utc)),
            AccountId = AccountId,
            Context = Serialization.ActivityJsonParts.DeserializeContext(Context),
            Metadata = Serialization.ActivityJsonParts.DeserializeMetadata(Metadata),
        };
    }

    // The core's default, read from the options rather than copied, so the two cannot disagree.
    private static readonly string DefaultMask = new ActivityRedactionOptions().Mask;

    private static DateTime TruncateToMicroseconds(DateTime utc) => new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMicrosecond), DateTimeKind.Utc);
}

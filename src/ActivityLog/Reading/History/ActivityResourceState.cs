namespace ActivityLog;

/// <summary>
/// One resource as its events describe it at a point in time: each field's last recorded value, rebuilt from the
/// <c>changes</c> of the resource's events (returned by <see cref="IActivityLogReader.GetResourceStateAsync"/>).
/// </summary>
/// <remarks>
/// Values are as the store holds them: a redacted field stays <c>[FILTERED]</c> (or the host's mask), whatever it was.
/// A field appears once an event changed it; a resource whose history starts after its creation (capture switched on
/// later) has only the fields changed since, which <see cref="SeenCreated"/> tells.
/// </remarks>
public sealed class ActivityResourceState
{
    /// <summary>Creates a state.</summary>
    /// <param name="resourceType">The resource's type.</param>
    /// <param name="resourceId">The resource's id.</param>
    /// <param name="at">The point in time the state is for.</param>
    /// <param name="fields">Each field's value at that time, in the order the fields first appeared.</param>
    /// <param name="eventCount">How many events about the resource were applied.</param>
    /// <param name="lastEvent">The newest event applied, or <see langword="null"/> when there was none.</param>
    /// <param name="seenCreated">Whether a <c>created</c> event was among them.</param>
    /// <param name="isDeleted">Whether the newest lifecycle event applied was <c>deleted</c>.</param>
    public ActivityResourceState(
        string resourceType,
        string resourceId,
        DateTimeOffset at,
        IReadOnlyList<KeyValuePair<string, object?>> fields,
        int eventCount,
        ActivityLogEvent? lastEvent,
        bool seenCreated,
        bool isDeleted)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        ArgumentNullException.ThrowIfNull(resourceId);
        ArgumentNullException.ThrowIfNull(fields);
        ResourceType = resourceType;
        ResourceId = resourceId;
        At = at;
        Fields = fields;
        EventCount = eventCount;
        LastEvent = lastEvent;
        SeenCreated = seenCreated;
        IsDeleted = isDeleted;
    }

    /// <summary>The resource's type.</summary>
    public string ResourceType { get; }

    /// <summary>The resource's id.</summary>
    public string ResourceId { get; }

    /// <summary>The point in time (inclusive) the state is for.</summary>
    public DateTimeOffset At { get; }

    /// <summary>Each field's value at <see cref="At"/>, in the order the fields first appeared in the history.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Fields { get; }

    /// <summary>How many events about the resource happened at or before <see cref="At"/>; 0 when none.</summary>
    public int EventCount { get; }

    /// <summary>The newest of those events, or <see langword="null"/>.</summary>
    public ActivityLogEvent? LastEvent { get; }

    /// <summary>Whether the resource's <c>created</c> event is in the history, so that <see cref="Fields"/> starts from its creation.</summary>
    public bool SeenCreated { get; }

    /// <summary>Whether the resource was deleted at <see cref="At"/> (its newest lifecycle event was <c>deleted</c>).</summary>
    public bool IsDeleted { get; }

    /// <summary>
    /// The query a reader answers to rebuild a state: the resource's events up to <paramref name="at"/> (inclusive),
    /// oldest first.
    /// </summary>
    /// <param name="accountId">The account.</param>
    /// <param name="resourceType">The resource's type.</param>
    /// <param name="resourceId">The resource's id.</param>
    /// <param name="at">The point in time (inclusive).</param>
    /// <returns>The query.</returns>
    /// <exception cref="ArgumentException">An argument is empty.</exception>
    public static ActivityLogQuery HistoryQuery(string accountId, string resourceType, string resourceId, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceType);
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceId);
        return new ActivityLogQuery(accountId)
        {
            ResourceType = resourceType,
            ResourceId = resourceId,
            // To is exclusive, and stores keep microseconds (PostgreSQL rounds a finer bound to them): the microsecond
            // after `at`, cut to whole microseconds, includes an event at exactly `at` and nothing later.
            To = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero).AddTicks(TimeSpan.TicksPerMicrosecond),
            Order = ActivityLogOrder.OldestFirst,
        };
    }
}

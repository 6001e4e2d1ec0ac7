namespace ActivityLog;

/// <summary>One page of the activity log, newest first.</summary>
public sealed class ActivityLogPage
{
    /// <summary>Creates a page.</summary>
    /// <param name="events">The events, newest first.</param>
    /// <param name="nextCursor">The cursor of the next (older) page, or <see langword="null"/> when this is the last page.</param>
    public ActivityLogPage(IReadOnlyList<ActivityLogEvent> events, string? nextCursor)
    {
        ArgumentNullException.ThrowIfNull(events);
        Events = events;
        NextCursor = nextCursor;
    }

    /// <summary>The events, newest first (by time, then by id, both descending).</summary>
    public IReadOnlyList<ActivityLogEvent> Events { get; }

    /// <summary>
    /// Pass it as <see cref="ActivityLogQuery.Cursor"/> to read the next (older) page; <see langword="null"/> when no
    /// older event matches the query.
    /// </summary>
    public string? NextCursor { get; }
}

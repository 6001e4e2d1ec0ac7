namespace ActivityLog;

/// <summary>
/// What one account's events name, for the Activity Log page's filter choices (an actor chosen by name, a resource
/// type, an event type): read by <see cref="IActivityLogReader.ReadFacetsAsync"/>, never across accounts.
/// </summary>
public sealed class ActivityLogFacets
{
    /// <summary>The most entries per list a reader returns unless asked otherwise: 500.</summary>
    public const int DefaultLimit = 500;

    /// <summary>Creates the choices.</summary>
    /// <param name="actors">The actors (type, id and the newest name each was recorded with), sorted by name.</param>
    /// <param name="resourceTypes">The resource types, sorted.</param>
    /// <param name="eventNames">The event names, sorted.</param>
    /// <param name="isTruncated">Whether a list was cut at the limit.</param>
    public ActivityLogFacets(IReadOnlyList<ActivityActor> actors, IReadOnlyList<string> resourceTypes, IReadOnlyList<string> eventNames, bool isTruncated)
    {
        ArgumentNullException.ThrowIfNull(actors);
        ArgumentNullException.ThrowIfNull(resourceTypes);
        ArgumentNullException.ThrowIfNull(eventNames);
        Actors = actors;
        ResourceTypes = resourceTypes;
        EventNames = eventNames;
        IsTruncated = isTruncated;
    }

    /// <summary>The account's known actors (not the unknown actor), sorted by name, then type and id.</summary>
    public IReadOnlyList<ActivityActor> Actors { get; }

    /// <summary>The account's resource types, sorted ordinally.</summary>
    public IReadOnlyList<string> ResourceTypes { get; }

    /// <summary>The account's event names, sorted ordinally.</summary>
    public IReadOnlyList<string> EventNames { get; }

    /// <summary>Whether a list holds only the first entries up to the limit (the page then also offers typed filters).</summary>
    public bool IsTruncated { get; }
}

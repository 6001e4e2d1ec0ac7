namespace ActivityLog;

/// <summary>The order in which a reader returns events.</summary>
public enum ActivityLogOrder
{
    /// <summary>Newest first: by time, then by id, both descending (the Activity Log page).</summary>
    NewestFirst = 0,

    /// <summary>Oldest first: by time, then by id, both ascending (a resource's history).</summary>
    OldestFirst = 1,
}

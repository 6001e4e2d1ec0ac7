namespace ActivityLog;

/// <summary>
/// The fields beyond the seed payload's that a host opts into. The seed's own fields (<c>event</c>, <c>description</c>,
/// <c>actor</c>, <c>resource</c>, <c>changes</c>, <c>timestamp</c>) are always written, in that order; related
/// resources are written (as <c>related_resources</c>, after <c>resource</c>) only when an event has any.
/// </summary>
[Flags]
public enum ActivityJsonFields
{
    /// <summary>Exactly the seed's fields.</summary>
    None = 0,

    /// <summary><c>id</c>: the event's time-ordered GUID.</summary>
    Id = 1,

    /// <summary><c>account_id</c>.</summary>
    AccountId = 2,

    /// <summary><c>context</c>: <c>ip_address</c>, <c>user_agent</c>, <c>auth_method</c>, <c>correlation_id</c> (redacted).</summary>
    Context = 4,

    /// <summary><c>metadata</c> (redacted).</summary>
    Metadata = 8,

    /// <summary>Every optional field.</summary>
    All = Id | AccountId | Context | Metadata,
}

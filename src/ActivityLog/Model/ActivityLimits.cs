namespace ActivityLog;

/// <summary>
/// The size limits every recorded activity must keep; breaking one throws an <see cref="ArgumentException"/> that
/// names the field. They keep one bad call from filling a store or a webhook payload.
/// </summary>
public static class ActivityLimits
{
    /// <summary>Longest event name: 200 characters.</summary>
    public const int MaxEventNameLength = 200;

    /// <summary>Longest actor or resource type: 100 characters.</summary>
    public const int MaxTypeLength = 100;

    /// <summary>Longest actor or resource id, and account id: 200 characters.</summary>
    public const int MaxIdLength = 200;

    /// <summary>Longest actor or resource display name: 500 characters.</summary>
    public const int MaxNameLength = 500;

    /// <summary>Longest change field name or metadata key: 200 characters.</summary>
    public const int MaxFieldNameLength = 200;

    /// <summary>Most changes on one event: 500.</summary>
    public const int MaxChanges = 500;

    /// <summary>Most related resources on one event: 50.</summary>
    public const int MaxRelatedResources = 50;

    /// <summary>Longest context value (IP address, user agent, auth method, correlation id): 1,000 characters.</summary>
    public const int MaxContextValueLength = 1000;
}

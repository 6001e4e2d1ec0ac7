namespace ActivityLog;

/// <summary>
/// What the Activity Log page asks an <see cref="IActivityLogReader"/> for: one account (required), optional filters
/// (combined with AND), a page size and the cursor of the page. Immutable; derive the next page's query with
/// <c>query with { Cursor = page.NextCursor }</c>.
/// </summary>
public sealed record ActivityLogQuery
{
    /// <summary>Creates a query for one account's activity log.</summary>
    /// <param name="accountId">The account whose events are read. Required.</param>
    /// <exception cref="ArgumentException"><paramref name="accountId"/> is <see langword="null"/>, empty or whitespace.</exception>
    public ActivityLogQuery(string accountId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        AccountId = accountId;
    }

    /// <summary>The account whose events are read. Required: a reader never reads across accounts.</summary>
    public string AccountId { get; init; }

    /// <summary>Only events by actors of this type (<c>user</c>, <c>api_token</c>, <c>system</c>, <c>unknown</c>).</summary>
    public string? ActorType { get; init; }

    /// <summary>Only events by the actor with this id (numeric ids as invariant text, such as <c>783</c>); needs <see cref="ActorType"/>.</summary>
    public string? ActorId { get; init; }

    /// <summary>Only events on resources of this type, such as <c>webhook</c>.</summary>
    public string? ResourceType { get; init; }

    /// <summary>Only events on the resource with this id; needs <see cref="ResourceType"/>.</summary>
    public string? ResourceId { get; init; }

    /// <summary>
    /// Only events with one of these names. Each entry is an exact name (<c>activity_log.user.updated</c>) or whole
    /// segments followed by <c>.*</c> (<c>activity_log.*</c>; <c>activity_log.user.*</c> matches
    /// <c>activity_log.user.updated</c> but not <c>activity_log.user_role.created</c>); <c>*</c> alone,
    /// <see langword="null"/> or an empty list match every name. A wildcard inside or in part of a segment
    /// (<c>activity_log.us*</c>, <c>activity_log.*.created</c>) is refused with an <see cref="ArgumentException"/> by
    /// the reader: the same grammar as webhook endpoints' <c>Events</c> and description template keys. At most
    /// <see cref="MaxEventNames"/> entries.
    /// </summary>
    public IReadOnlyList<string>? EventNames { get; init; }

    /// <summary>
    /// Only events whose resource name contains this text, ignoring case (a person looking for "the webhook called
    /// Logging"); combine with <see cref="ResourceType"/>. At most <see cref="MaxSearchLength"/> characters.
    /// </summary>
    public string? ResourceName { get; init; }

    /// <summary>
    /// Free text: only events whose description, actor name, resource names or change values contain every word of it
    /// (values stored as the redaction mask are never matched). Served by the store's full-text index where it has one
    /// (PostgreSQL <c>tsvector</c>, SQLite FTS5); the store's README says how words are matched and what a store without
    /// an index does. At most <see cref="MaxSearchLength"/> characters; <see langword="null"/> or white space searches nothing.
    /// </summary>
    public string? Search { get; init; }

    /// <summary>
    /// The order of the events and of the pages: newest first (the page's order, the default) or oldest first (a
    /// resource's history). A cursor belongs to the order it was issued in.
    /// </summary>
    public ActivityLogOrder Order { get; init; }

    /// <summary>Only events at or after this time (inclusive).</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only events before this time (exclusive), so that consecutive ranges neither overlap nor leave gaps.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>
    /// The number of events per page: at least 1; <see langword="null"/> for the store's default page size (50 unless
    /// configured). A larger value than the store's maximum (500 unless configured) is lowered to it.
    /// </summary>
    public int? PageSize { get; init; }

    /// <summary>
    /// Where the page starts: <see cref="ActivityLogPage.NextCursor"/> of the previous page, or <see langword="null"/>
    /// (or empty) for the first page. Opaque; a cursor holds a position in the time line only, so it is safe to hand to clients.
    /// </summary>
    public string? Cursor { get; init; }

    /// <summary>The most entries <see cref="EventNames"/> may have: 100.</summary>
    public const int MaxEventNames = 100;

    /// <summary>The longest <see cref="Search"/> and <see cref="ResourceName"/> text: 200 characters.</summary>
    public const int MaxSearchLength = 200;
}

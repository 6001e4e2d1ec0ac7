using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog;

/// <summary>
/// Reads the stored activity log of one account for the Activity Log page: newest first, filtered, in pages linked
/// by an opaque cursor. Implemented by a store (the EF Core store registers one as a singleton with <c>AddEntityFrameworkStore</c>); thread-safe, usable
/// from singletons and from request scopes alike.
/// </summary>
/// <remarks>
/// <para>
/// Every read is confined to <see cref="ActivityLogQuery.AccountId"/>: a reader never returns another account's
/// events, whatever the cursor says (a cursor only holds a position in the time line, never an account).
/// </para>
/// <para>
/// The contract names only core types, so that a host package (the Activity Log page, an export endpoint) can use it
/// without knowing which store wrote the events.
/// </para>
/// </remarks>
public interface IActivityLogReader
{
    /// <summary>Reads one page, newest first (by time, then by id, both descending).</summary>
    /// <example>
    /// <code>
    /// var page = await reader.ReadPageAsync(new ActivityLogQuery("42") { EventNames = ["activity_log.user.*"] });
    /// var next = await reader.ReadPageAsync(query with { Cursor = page.NextCursor });
    /// </code>
    /// </example>
    /// <param name="query">The account, the filters, the page size and the cursor of the page to read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The page; its <see cref="ActivityLogPage.NextCursor"/> is <see langword="null"/> on the last page.</returns>
    /// <exception cref="ArgumentException">
    /// The query has no account, a malformed filter or page size, or a cursor that this reader did not issue (garbled or
    /// altered): the message says which. No database work is done in that case.
    /// </exception>
    Task<ActivityLogPage> ReadPageAsync(ActivityLogQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams every event the query matches, newest first, starting after <see cref="ActivityLogQuery.Cursor"/> when it
    /// is set: for exports (CSV, JSON Lines). It reads page by page by keyset internally, opening a database context per
    /// page, so a slow consumer holds no connection between pages; <see cref="ActivityLogQuery.PageSize"/> is ignored.
    /// </summary>
    /// <remarks>
    /// Events recorded while the stream runs and newer than its start are not included; nothing is returned twice.
    /// </remarks>
    /// <param name="query">The account and the filters.</param>
    /// <param name="cancellationToken">Cancels the stream.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ArgumentException">The query is invalid (thrown by this call, before enumeration).</exception>
    IAsyncEnumerable<ActivityLogEvent> ReadAllAsync(ActivityLogQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// One event of the account by id, for the Activity Log page's details: <see langword="null"/> when the account has
    /// no event with that id (an id of another account's event reads as missing, never as that event).
    /// </summary>
    /// <param name="accountId">The account whose event is read. Required.</param>
    /// <param name="id">The event's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The event, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="accountId"/> is empty.</exception>
    /// <exception cref="NotSupportedException">This reader does not read single events (the default implementation).</exception>
    Task<ActivityLogEvent?> GetEventAsync(string accountId, Guid id, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not read single events.");

    /// <summary>
    /// What the account's events name, for the page's filter choices: its actors, resource types and event names,
    /// each list sorted and capped at <paramref name="limit"/> entries. Never names anything of another account.
    /// </summary>
    /// <param name="accountId">The account. Required.</param>
    /// <param name="limit">The most entries per list (at least 1).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The choices.</returns>
    /// <exception cref="ArgumentException"><paramref name="accountId"/> is empty or <paramref name="limit"/> below 1.</exception>
    /// <exception cref="NotSupportedException">This reader lists no choices (the default implementation); the page then offers typed filters.</exception>
    Task<ActivityLogFacets> ReadFacetsAsync(string accountId, int limit = ActivityLogFacets.DefaultLimit, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not list filter choices.");

    /// <summary>
    /// The state of one resource at a point in time, rebuilt from the changes its events carry (the EF Core change
    /// capture records every property of a created entity and each changed one after): each field's last <c>to</c> value
    /// at or before <paramref name="at"/>. Redacted values stay as the store holds them (<c>[FILTERED]</c>).
    /// </summary>
    /// <remarks>
    /// The default implementation reads the resource's events oldest first with <see cref="ReadAllAsync"/> and folds
    /// them; a store may answer in one query.
    /// </remarks>
    /// <param name="accountId">The account. Required.</param>
    /// <param name="resourceType">The resource's type, such as <c>order</c>.</param>
    /// <param name="resourceId">The resource's id.</param>
    /// <param name="at">The point in time (inclusive).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The state; <see cref="ActivityResourceState.EventCount"/> is 0 when nothing was recorded about the resource by then.</returns>
    /// <exception cref="ArgumentException">An argument is empty or not a type events can have.</exception>
    async Task<ActivityResourceState> GetResourceStateAsync(
        string accountId, string resourceType, string resourceId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var query = ActivityResourceState.HistoryQuery(accountId, resourceType, resourceId, at);
        var state = new ActivityResourceStateBuilder(resourceType, resourceId, at);
        await foreach (var activity in ReadAllAsync(query, cancellationToken).ConfigureAwait(false))
        {
            state.Apply(activity);
        }

        return state.Build();
    }

    /// <summary>
    /// What changed in one resource between two points in time: its states at both (as <see cref="GetResourceStateAsync"/>)
    /// and the fields whose values differ.
    /// </summary>
    /// <param name="accountId">The account. Required.</param>
    /// <param name="resourceType">The resource's type.</param>
    /// <param name="resourceId">The resource's id.</param>
    /// <param name="earlier">The earlier point in time.</param>
    /// <param name="later">The later point in time.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The difference.</returns>
    /// <exception cref="ArgumentException">An argument is empty, or <paramref name="earlier"/> is after <paramref name="later"/>.</exception>
    async Task<ActivityResourceDiff> CompareResourceStatesAsync(
        string accountId, string resourceType, string resourceId, DateTimeOffset earlier, DateTimeOffset later, CancellationToken cancellationToken = default)
    {
        if (earlier > later)
        {
            throw new ArgumentException($"The earlier point in time ({earlier:O}) is after the later one ({later:O}).", nameof(earlier));
        }

        var before = await GetResourceStateAsync(accountId, resourceType, resourceId, earlier, cancellationToken).ConfigureAwait(false);
        var after = await GetResourceStateAsync(accountId, resourceType, resourceId, later, cancellationToken).ConfigureAwait(false);
        return ActivityResourceDiff.Between(before, after);
    }
}

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
}

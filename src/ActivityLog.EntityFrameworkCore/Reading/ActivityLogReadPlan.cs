using ActivityLog.EntityFrameworkCore.Search;
using ActivityLog.Naming;
using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>
/// A validated <see cref="ActivityLogQuery"/> and the EF Core query it becomes. Everything that can be wrong with a
/// query is found here, before any database work.
/// </summary>
internal sealed class ActivityLogReadPlan
{
    private ActivityLogReadPlan(
        ActivityLogQuery query, EventNameFilter? names, KeysetPosition? start, int pageSize, ActivityLogSearchTerms? search, string? resourceName)
    {
        Query = query;
        Names = names;
        Start = start;
        PageSize = pageSize;
        Search = search;
        ResourceName = resourceName;
    }

    public ActivityLogQuery Query { get; }

    public EventNameFilter? Names { get; }

    /// <summary>The position after which the first page starts, from the query's cursor.</summary>
    public KeysetPosition? Start { get; }

    /// <summary>The page size after defaulting and capping.</summary>
    public int PageSize { get; }

    /// <summary>The words of <see cref="ActivityLogQuery.Search"/>, or <see langword="null"/> when it searches nothing.</summary>
    public ActivityLogSearchTerms? Search { get; }

    /// <summary><see cref="ActivityLogQuery.ResourceName"/> trimmed and lower-cased, or <see langword="null"/> for no filter.</summary>
    public string? ResourceName { get; }

    /// <summary>The order of the events and pages.</summary>
    public ActivityLogOrder Order => Query.Order;

    /// <exception cref="ArgumentException">The query is invalid; the message says how.</exception>
    public static ActivityLogReadPlan Create(ActivityLogQuery query, ActivityLogStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (string.IsNullOrWhiteSpace(query.AccountId))
        {
            throw new ArgumentException("An activity log query needs an account id: the reader never reads across accounts.", nameof(query));
        }

        if (query.ActorId is not null && query.ActorType is null)
        {
            throw new ArgumentException("An activity log query that filters by actor id needs the actor type too (user 7 and api_token 7 are different actors).", nameof(query));
        }

        if (query.ResourceId is not null && query.ResourceType is null)
        {
            throw new ArgumentException("An activity log query that filters by resource id needs the resource type too.", nameof(query));
        }

        // The types a query may name are the ones Record accepts (ActivityEventName's segment rule).
        CheckType(query, query.ActorType, nameof(ActivityLogQuery.ActorType));
        CheckType(query, query.ResourceType, nameof(ActivityLogQuery.ResourceType));

        if (query.From is { } from && query.To is { } to && from > to)
        {
            throw new ArgumentException($"An activity log query's From ({from:O}) is after its To ({to:O}).", nameof(query));
        }

        if (query.PageSize is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.PageSize, "An activity log page holds at least one event.");
        }

        if (!Enum.IsDefined(query.Order))
        {
            throw new ArgumentException($"An activity log query's Order ({(int)query.Order}) is neither NewestFirst nor OldestFirst.", nameof(query));
        }

        string? search = Text(query, query.Search, nameof(ActivityLogQuery.Search));
        string? resourceName = Text(query, query.ResourceName, nameof(ActivityLogQuery.ResourceName));
        int pageSize = Math.Min(query.PageSize ?? options.DefaultPageSize, options.MaxPageSize);
        var names = EventNameFilter.Parse(query.EventNames);
        KeysetPosition? start = null;
        if (!string.IsNullOrEmpty(query.Cursor))
        {
            var (position, order) = ActivityLogCursor.Decode(query.Cursor);
            if (order != query.Order)
            {
                throw ActivityLogCursor.Invalid($"it belongs to {order} pages and this query reads {query.Order}; start again without a cursor when the order changes");
            }

            start = position;
        }

        return new ActivityLogReadPlan(
            query, names, start, pageSize, search is null ? null : ActivityLogSearchTerms.Parse(search), resourceName?.ToLowerInvariant());
    }

    /// <summary>A free-text field trimmed, or <see langword="null"/> when it is null or white space.</summary>
    /// <exception cref="ArgumentException">It is too long, or holds what no database stores (NUL, a lone surrogate).</exception>
    private static string? Text(ActivityLogQuery query, string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.Length > ActivityLogQuery.MaxSearchLength)
        {
            throw new ArgumentException(
                $"An activity log query's {field} is {value.Length} characters long; at most {ActivityLogQuery.MaxSearchLength} are allowed.", nameof(query));
        }

        // The value itself is not quoted: it came from a client.
        if (value.Contains('\0', StringComparison.Ordinal) || System.Text.Unicode.Utf8.FromUtf16(value, new byte[value.Length * 3], out _, out _, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
        {
            throw new ArgumentException($"An activity log query's {field} holds a NUL character or a lone surrogate.", nameof(query));
        }

        return value.Trim();
    }

    private static void CheckType(ActivityLogQuery query, string? type, string field)
    {
        if (type is not null && ActivityEventName.DescribeType(type) is { } problem)
        {
            throw new ArgumentException(
                $"An activity log query's {field} is not a type events can have: {problem}; a type is {ActivityEventName.SegmentGrammar}.", nameof(query));
        }
    }

    /// <summary>
    /// The rows of the query after <paramref name="after"/>, in the plan's order. Every filter is an equality on a column
    /// of one of the model's indexes (account first, then actor, resource or name), and the keyset condition is written so
    /// that its time bound can be an index range condition on every database: newest first
    /// <c>occurred_at &lt;= @t AND (occurred_at &lt; @t OR id &lt; @id)</c>, the portable form of the row comparison
    /// <c>(occurred_at, id) &lt; (@t, @id)</c> (which EF Core only exposes through provider-specific functions), and the
    /// mirror image oldest first. The redundant <c>occurred_at &lt;= @t</c> lets PostgreSQL and SQLite start the index
    /// scan at the cursor instead of filtering every newer row of the account; only rows at exactly <c>@t</c> go through
    /// the <c>id</c> test. A search starts from the full-text index's matches (<paramref name="index"/>) and is then
    /// filtered and paged like any other query; without an index each word is a case-insensitive substring test.
    /// </summary>
    /// <param name="context">The context to query.</param>
    /// <param name="after">The position the rows follow, or <see langword="null"/> for the first page.</param>
    /// <param name="index">The full-text index of the context (<see cref="ActivityLogSearchIndex.FindAsync"/>), for a search.</param>
    /// <returns>The rows, without the search columns.</returns>
    public IQueryable<StoredActivityLogEvent> Build(DbContext context, KeysetPosition? after, SearchIndexKind index = SearchIndexKind.None)
    {
        var query = Query;
        string accountId = query.AccountId;
        var source = Search is { Words.Count: > 0 } terms ? ActivityLogSearchIndex.Matching(context, index, terms) : null;
        var rows = (source ?? context.Set<StoredActivityLogEvent>()).AsNoTracking().Where(e => e.AccountId == accountId);

        if (query.ActorType is { } actorType)
        {
            rows = rows.Where(e => e.ActorType == actorType);
        }

        if (query.ActorId is { } actorId)
        {
            rows = rows.Where(e => e.ActorId == actorId);
        }

        if (query.ResourceType is { } resourceType)
        {
            rows = rows.Where(e => e.ResourceType == resourceType);
        }

        if (query.ResourceId is { } resourceId)
        {
            rows = rows.Where(e => e.ResourceId == resourceId);
        }

        if (Names is { } names)
        {
            rows = rows.Where(EventNamePredicate.For(names));
        }

        // Translated to SQL, not run here: lower() in the database, whatever the culture (the analyzers' concern does not
        // apply). Contains becomes instr/strpos, not LIKE, so % and _ in what a person typed are plain characters. lower() is
        // Unicode-aware on PostgreSQL and ASCII-only on SQLite (without ICU): non-ASCII letters match there case-sensitively.
#pragma warning disable CA1304, CA1311, CA1862
        if (ResourceName is { } resourceName)
        {
            rows = rows.Where(e => e.ResourceName!.ToLower().Contains(resourceName));
        }

        if (Search is { } search)
        {
            if (search.Words.Count == 0)
            {
                // Only punctuation or symbols: no word any event could contain.
                rows = rows.Where(e => false);
            }
            else if (source is null)
            {
                foreach (string word in search.Words)
                {
                    rows = rows.Where(e => e.SearchText!.ToLower().Contains(word));
                }
            }
        }
#pragma warning restore CA1304, CA1311, CA1862

        if (query.From is { } from)
        {
            var fromUtc = from.UtcDateTime;
            rows = rows.Where(e => e.OccurredAt >= fromUtc);
        }

        if (query.To is { } to)
        {
            var toUtc = to.UtcDateTime;
            rows = rows.Where(e => e.OccurredAt < toUtc);
        }

        IOrderedQueryable<StoredActivityLogEvent> ordered;
        if (Order == ActivityLogOrder.OldestFirst)
        {
            if (after is { } position)
            {
                var time = position.OccurredAt;
                var id = position.Id;
                rows = rows.Where(e => e.OccurredAt >= time && (e.OccurredAt > time || e.Id.CompareTo(id) > 0));
            }

            ordered = rows.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id);
        }
        else
        {
            if (after is { } position)
            {
                var time = position.OccurredAt;
                var id = position.Id;
                rows = rows.Where(e => e.OccurredAt <= time && (e.OccurredAt < time || e.Id.CompareTo(id) < 0));
            }

            ordered = rows.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id);
        }

        // Every column but the search ones, which can be large and which no event carries.
        return ordered.Select(e => new StoredActivityLogEvent
        {
            Id = e.Id,
            AccountId = e.AccountId,
            Name = e.Name,
            Description = e.Description,
            OccurredAt = e.OccurredAt,
            ActorType = e.ActorType,
            ActorId = e.ActorId,
            ActorIdIsNumber = e.ActorIdIsNumber,
            ActorName = e.ActorName,
            ResourceType = e.ResourceType,
            ResourceId = e.ResourceId,
            ResourceName = e.ResourceName,
            RelatedResources = e.RelatedResources,
            Changes = e.Changes,
            Context = e.Context,
            Metadata = e.Metadata,
        });
    }
}

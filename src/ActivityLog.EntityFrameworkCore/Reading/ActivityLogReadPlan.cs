using ActivityLog.Naming;
using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>
/// A validated <see cref="ActivityLogQuery"/> and the EF Core query it becomes. Everything that can be wrong with a
/// query is found here, before any database work.
/// </summary>
internal sealed class ActivityLogReadPlan
{
    private ActivityLogReadPlan(ActivityLogQuery query, EventNameFilter? names, KeysetPosition? start, int pageSize)
    {
        Query = query;
        Names = names;
        Start = start;
        PageSize = pageSize;
    }

    public ActivityLogQuery Query { get; }

    public EventNameFilter? Names { get; }

    /// <summary>The position after which the first page starts, from the query's cursor.</summary>
    public KeysetPosition? Start { get; }

    /// <summary>The page size after defaulting and capping.</summary>
    public int PageSize { get; }

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

        int pageSize = Math.Min(query.PageSize ?? options.DefaultPageSize, options.MaxPageSize);
        var names = EventNameFilter.Parse(query.EventNames);
        KeysetPosition? start = string.IsNullOrEmpty(query.Cursor) ? null : ActivityLogCursor.Decode(query.Cursor);
        return new ActivityLogReadPlan(query, names, start, pageSize);
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
    /// The rows of the query after <paramref name="after"/>, newest first. Every filter is an equality on a column of one
    /// of the model's indexes (account first, then actor, resource or name), and the keyset condition is written so that
    /// its time bound can be an index range condition on every database:
    /// <c>occurred_at &lt;= @t AND (occurred_at &lt; @t OR id &lt; @id)</c>, the portable form of the row comparison
    /// <c>(occurred_at, id) &lt; (@t, @id)</c> (which EF Core only exposes through provider-specific functions). The
    /// redundant <c>occurred_at &lt;= @t</c> lets PostgreSQL and SQLite start the index scan at the cursor instead of
    /// filtering every newer row of the account; only rows at exactly <c>@t</c> go through the <c>id</c> test.
    /// </summary>
    public IQueryable<StoredActivityLogEvent> Build(DbContext context, KeysetPosition? after)
    {
        var query = Query;
        string accountId = query.AccountId;
        var rows = context.Set<StoredActivityLogEvent>().AsNoTracking().Where(e => e.AccountId == accountId);

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

        if (after is { } position)
        {
            var time = position.OccurredAt;
            var id = position.Id;
            rows = rows.Where(e => e.OccurredAt <= time && (e.OccurredAt < time || e.Id.CompareTo(id) < 0));
        }

        return rows.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id);
    }
}

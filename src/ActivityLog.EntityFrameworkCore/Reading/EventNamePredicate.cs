using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>The name filter as one predicate: <c>name IN (…) OR name LIKE 'p1%' OR name LIKE 'p2%' …</c>.</summary>
internal static class EventNamePredicate
{
    public static Expression<Func<StoredActivityLogEvent, bool>> For(EventNameFilter filter)
    {
        // Each part is written as an ordinary lambda so that EF Core sees captured variables, which it sends as
        // parameters (one cached query plan per shape). StartsWith becomes LIKE @p ESCAPE '\' with '_' and '%' in the
        // value escaped by EF Core itself, on SQLite and PostgreSQL alike.
        Expression<Func<StoredActivityLogEvent, bool>>? predicate = null;
        if (filter.Exact.Count > 0)
        {
            var exact = filter.Exact;
            predicate = e => exact.Contains(e.Name);
        }

        foreach (string prefix in filter.Prefixes)
        {
            Expression<Func<StoredActivityLogEvent, bool>> startsWith = e => e.Name.StartsWith(prefix);
            predicate = predicate is null ? startsWith : Or(predicate, startsWith);
        }

        return predicate ?? (e => true);
    }

    private static Expression<Func<StoredActivityLogEvent, bool>> Or(
        Expression<Func<StoredActivityLogEvent, bool>> left, Expression<Func<StoredActivityLogEvent, bool>> right)
    {
        var parameter = left.Parameters[0];
        var rightBody = ReplacingExpressionVisitor.Replace(right.Parameters[0], parameter, right.Body);
        return Expression.Lambda<Func<StoredActivityLogEvent, bool>>(Expression.OrElse(left.Body, rightBody), parameter);
    }
}

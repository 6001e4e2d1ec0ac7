using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>The reads behind the page's details, filter choices and resource history: each one account-scoped.</summary>
internal sealed partial class EntityFrameworkActivityLogReader<TContext>
{
    public async Task<ActivityLogEvent?> GetEventAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            // The account is part of the condition: another account's id reads as missing, not as a refusal that tells it exists.
            var row = await lease.Context.Set<StoredActivityLogEvent>().AsNoTracking()
                .Where(e => e.Id == id && e.AccountId == accountId)
                .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            return row?.ToActivityLogEvent();
        }
    }

    public async Task<ActivityLogFacets> ReadFacetsAsync(string accountId, int limit = ActivityLogFacets.DefaultLimit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var rows = lease.Context.Set<StoredActivityLogEvent>().AsNoTracking().Where(e => e.AccountId == accountId);

            // Each list is a DISTINCT over one of the account's indexes (actor, resource, name), one row more than the
            // limit telling whether it was cut. An actor's name is the newest one it was recorded with.
            // One row per (actor, name) pair, so a renamed actor appears once with the newest name it was recorded with;
            // the cap leaves room for renames and tells (one row more) whether the list was cut.
            int cap = (limit * 4) + 1;
            var pairs = await rows.Where(e => e.ActorType != ActivityActorTypes.Unknown)
                .GroupBy(e => new { e.ActorType, e.ActorId, e.ActorName, e.ActorIdIsNumber })
                .Select(g => new { g.Key.ActorType, g.Key.ActorId, g.Key.ActorName, g.Key.ActorIdIsNumber, Newest = g.Max(e => e.OccurredAt) })
                .OrderBy(a => a.ActorType).ThenBy(a => a.ActorId)
                .Take(cap)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            var newest = new Dictionary<(string, string?), (string? Name, bool IsNumber, DateTime At)>();
            foreach (var pair in pairs)
            {
                var key = (pair.ActorType, pair.ActorId);
                if (!newest.TryGetValue(key, out var seen) || pair.Newest > seen.At)
                {
                    newest[key] = (pair.ActorName, pair.ActorIdIsNumber, pair.Newest);
                }
            }

            var actors = new List<ActivityActor>(Math.Min(newest.Count, limit));
            foreach (var ((type, id), (name, isNumber, _)) in newest)
            {
                actors.Add(isNumber && long.TryParse(id, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long number)
                    ? new ActivityActor(type, number, name)
                    : new ActivityActor(type, id, name));
            }

            actors.Sort(static (a, b) =>
            {
                int byName = string.Compare(a.Name ?? a.Id, b.Name ?? b.Id, StringComparison.OrdinalIgnoreCase);
                return byName != 0 ? byName : string.CompareOrdinal($"{a.Type}:{a.Id}", $"{b.Type}:{b.Id}");
            });

            var types = await rows.Where(e => e.ResourceType != null).Select(e => e.ResourceType!).Distinct()
                .OrderBy(t => t).Take(limit + 1).ToListAsync(cancellationToken).ConfigureAwait(false);
            var names = await rows.Select(e => e.Name).Distinct()
                .OrderBy(n => n).Take(limit + 1).ToListAsync(cancellationToken).ConfigureAwait(false);
            bool truncated = pairs.Count == cap || actors.Count > limit || types.Count > limit || names.Count > limit;
            return new ActivityLogFacets(
                actors.Count > limit ? actors[..limit] : actors,
                [.. types.Take(limit).Order(StringComparer.Ordinal)],
                [.. names.Take(limit).Order(StringComparer.Ordinal)],
                truncated);
        }
    }
}

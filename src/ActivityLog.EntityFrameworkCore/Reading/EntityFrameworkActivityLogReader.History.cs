using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>A resource's state at a point in time in one query, instead of the interface's pages of <c>ReadAllAsync</c>.</summary>
internal sealed partial class EntityFrameworkActivityLogReader<TContext>
{
    /// <summary>
    /// Streams the resource's events oldest first in one query on one context (the account's resource index, read
    /// backwards) and folds them with <see cref="ActivityResourceStateBuilder"/>, the rule every reader shares. The fold
    /// needs only a row's time, name, resource and changes, so only those are turned into an event; the newest row,
    /// which the state returns whole, is converted in full. Same arguments, same result as the default implementation.
    /// </summary>
    public async Task<ActivityResourceState> GetResourceStateAsync(
        string accountId, string resourceType, string resourceId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        // The read plan validates as every read does (account, type grammar), before any database work.
        var plan = ActivityLogReadPlan.Create(ActivityResourceState.HistoryQuery(accountId, resourceType, resourceId, at), options.Value);
        var state = new ActivityResourceStateBuilder(resourceType, resourceId, at);
        StoredActivityLogEvent? last = null;
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var rows = plan.Build(lease.Context, after: null).AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false);
            await foreach (var row in rows)
            {
                state.Apply(new ActivityLogEvent
                {
                    Id = row.Id,
                    Name = row.Name,
                    // SQLite reads times back as unspecified-kind DateTime; the stored value is UTC either way.
                    Timestamp = new DateTimeOffset(DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Utc)),
                    AccountId = row.AccountId,
                    Resource = row.ResourceType is null ? null : new ActivityResource(row.ResourceType, row.ResourceId, row.ResourceName),
                    Changes = Serialization.ActivityJsonParts.DeserializeChanges(row.Changes),
                });
                last = row;
            }
        }

        var folded = state.Build();
        return last is null
            ? folded
            : new ActivityResourceState(
                folded.ResourceType, folded.ResourceId, folded.At, folded.Fields, folded.EventCount, last.ToActivityLogEvent(), folded.SeenCreated, folded.IsDeleted);
    }
}

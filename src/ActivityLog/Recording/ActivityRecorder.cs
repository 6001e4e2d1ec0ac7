using System.Diagnostics;
using ActivityLog.Pipeline;

namespace ActivityLog.Recording;

/// <summary>
/// The queued path's recorder: validate, stamp the time and the ambient values, enqueue. No id, no JSON, no I/O and
/// no wake-up of the dispatcher per event; the dispatcher stamps ids and runs the pipeline in batches.
/// </summary>
internal sealed class ActivityRecorder(ActivityQueue queue, TimeProvider time) : IActivityRecorder
{
    private static readonly ActivityChange[] NoChanges = [];
    private static readonly ActivityResource[] NoResources = [];

    public void Record(in ActivityEntry entry)
    {
        // Metadata is read later, on the dispatcher: copy it now so later changes by the caller neither alter the
        // record nor slip past validation. Allocates only when metadata is given.
        var metadata = entry.Metadata is null ? null : new Dictionary<string, object?>(entry.Metadata, StringComparer.Ordinal);
        var checkedEntry = entry;
        checkedEntry.Metadata = metadata;
        ActivityEntryValidator.Validate(checkedEntry);
        var scope = ActivityScope.Current;
        var context = entry.Context;
        if (scope?.Context is { } ambient)
        {
            context = context is null ? ambient : context.MergeWith(ambient);
        }

        queue.Enqueue(new ActivityEvent
        {
            Name = entry.EventName,
            Actor = entry.Actor ?? scope?.Actor ?? default,
            Resource = entry.Resource,
            RelatedResources = entry.RelatedResources.IsEmpty ? NoResources : entry.RelatedResources.ToArray(),
            Changes = entry.Changes.IsEmpty ? NoChanges : entry.Changes.ToArray(),
            Timestamp = time.GetUtcNow(),
            AccountId = entry.AccountId ?? scope?.AccountId,
            Context = context,
            Metadata = metadata,
            Trace = Activity.Current,
        });
    }
}

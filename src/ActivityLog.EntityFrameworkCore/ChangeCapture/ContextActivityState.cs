using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>
/// What ActivityLog holds for one context instance between the steps of a <c>SaveChanges</c>, and the events of its
/// open units of work. Keyed to the context by a <see cref="System.Runtime.CompilerServices.ConditionalWeakTable{TKey, TValue}"/>,
/// so it goes away with the context; reset when a pooled context is leased again.
/// </summary>
/// <remarks>
/// A context is used by one thread at a time, so only <see cref="Collect"/>, which <c>Record</c> may call from any
/// thread inside a unit of work, takes a lock.
/// </remarks>
internal sealed class ContextActivityState(ActivityLogSaveChangesInterceptor interceptor, DbContext context) : IActivityLogEventCollector
{
    private readonly Lock _gate = new();
    private List<ActivityLogEvent> _pending = [];
    private int _openUnits;

    /// <summary>The pool lease this state belongs to (<see cref="DbContextId.Lease"/>).</summary>
    public int Lease { get; set; } = context.ContextId.Lease;

    public string ContextType { get; } = context.GetType().Name;

    /// <summary>Unit-of-work events that went through the pipeline and wait for a <c>SaveChanges</c> that succeeds.</summary>
    public List<StoredActivityLogEvent> UnitRows { get; } = [];

    /// <summary>
    /// The entries of our rows in the <c>SaveChanges</c> in progress, detached when it ends. Kept as entries because
    /// <c>DbContext.Entry</c> would run change detection on each row again.
    /// </summary>
    public List<EntityEntry> Attached { get; } = [];

    /// <summary>Captured entities that need keys the database generates, written when the statements ran.</summary>
    public List<CapturedEntity>? Deferred { get; set; }

    public AmbientValues DeferredAmbient { get; set; }

    /// <summary>The deferred events after the pipeline, kept so that a retried commit writes the same rows.</summary>
    public List<StoredActivityLogEvent>? DeferredRows { get; set; }

    /// <summary>Whether the deferred rows go in when EF Core commits its own transaction (otherwise in <c>SavedChanges</c>).</summary>
    public bool WriteDeferredOnCommit { get; set; }

    public bool DeferredWritten { get; set; }

    /// <summary>The context's own <see cref="AutoTransactionBehavior"/>, to restore after a save that needed a transaction.</summary>
    public AutoTransactionBehavior? RestoreBehavior { get; set; }

    /// <summary>Whether outbox deliveries were written that the delivery workers are not yet told about (after the commit).</summary>
    public bool OutboxNotifyPending { get; set; }

    /// <summary>Whether a <c>SaveChanges</c> holds rows of ours that must be detached when it ends.</summary>
    public bool InSave { get; set; }

    public bool HasUnitEvents
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count > 0 || UnitRows.Count > 0;
            }
        }
    }

    public int UnsavedCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count + UnitRows.Count;
            }
        }
    }

    public void Collect(ActivityLogEvent activityEvent)
    {
        ArgumentNullException.ThrowIfNull(activityEvent);
        lock (_gate)
        {
            if (_openUnits > 0)
            {
                _pending.Add(activityEvent);
                return;
            }
        }

        ChangeCaptureLog.RecordedAfterUnitOfWork(interceptor.Logger, activityEvent.Name, ContextType);
    }

    public void OpenUnit()
    {
        lock (_gate)
        {
            _openUnits++;
        }
    }

    /// <summary>
    /// Ends one unit of work; the last one to end discards, with a warning, what no <c>SaveChanges</c> stored. The
    /// discarded rows are not tracked: every save detaches them when it ends.
    /// </summary>
    public void CloseUnit()
    {
        List<string> names;
        lock (_gate)
        {
            if (--_openUnits > 0 || (_pending.Count == 0 && UnitRows.Count == 0))
            {
                return;
            }

            names = [.. _pending.Select(e => e.Name), .. UnitRows.Select(r => r.Name)];
            _pending.Clear();
            UnitRows.Clear();
        }

        ChangeCaptureLog.UnsavedEventsDiscarded(interceptor.Logger, names.Count, ContextType, string.Join(", ", names.Distinct(StringComparer.Ordinal)));
    }

    /// <summary>Forgets the unit of work's rows once a <c>SaveChanges</c> stored them.</summary>
    public void ClearUnitRows()
    {
        if (UnitRows.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            UnitRows.Clear();
        }
    }

    /// <summary>Takes the events recorded since the last <c>SaveChanges</c>, for the pipeline.</summary>
    public List<ActivityLogEvent>? TakePending()
    {
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return null;
            }

            var pending = _pending;
            _pending = [];
            return pending;
        }
    }

    /// <summary>Puts events back in front after the pipeline failed on them, so that a retried <c>SaveChanges</c> has them.</summary>
    public void ReturnPending(List<ActivityLogEvent> events)
    {
        lock (_gate)
        {
            _pending.InsertRange(0, events);
        }
    }

    /// <summary>Forgets everything of a previous pool lease (a unit of work that was never disposed), with a warning.</summary>
    public void ResetLease(int lease)
    {
        Lease = lease;
        lock (_gate)
        {
            if (_pending.Count + UnitRows.Count > 0)
            {
                var names = _pending.Select(e => e.Name).Concat(UnitRows.Select(r => r.Name)).Distinct(StringComparer.Ordinal);
                ChangeCaptureLog.UnsavedEventsDiscarded(interceptor.Logger, _pending.Count + UnitRows.Count, ContextType, string.Join(", ", names));
            }

            _pending.Clear();
            UnitRows.Clear();
            _openUnits = 0;
        }

        Attached.Clear();
        Deferred = null;
        DeferredRows = null;
        DeferredWritten = false;
        WriteDeferredOnCommit = false;
        RestoreBehavior = null;
        InSave = false;
        OutboxNotifyPending = false;
    }
}

using ActivityLog.EntityFrameworkCore.ChangeCapture;
using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>
/// Transactional recording on one <see cref="DbContext"/>: while it is open, <see cref="IActivityRecorder"/> calls on
/// this async flow are collected instead of queued, and the context's next successful <c>SaveChanges</c> stores them
/// in the same transaction as the business change. Opened by
/// <see cref="ActivityLogDbContextExtensions.RecordActivities(DbContext)"/>.
/// </summary>
/// <remarks>
/// <para>
/// Recorded events run through the pipeline (gate, id, redaction, description) inside <c>SaveChanges</c>; an event of
/// a disabled account is dropped there. A rolled-back transaction stores none of them, a committed one all of them.
/// A <c>SaveChanges</c> that fails keeps them for the next <c>SaveChanges</c> on the context.
/// </para>
/// <para>
/// Events that no <c>SaveChanges</c> stored by the time the unit of work is disposed are discarded, with a warning
/// that names them: the business change they describe was not saved either. Units of work on the same context nest;
/// the outermost one's end decides. Dispose it on the flow that opened it (a <c>using</c> statement does).
/// </para>
/// </remarks>
public sealed class ActivityUnitOfWork : IDisposable
{
    private readonly ContextActivityState _state;
    private readonly ActivityScope _scope;
    private bool _disposed;

    internal ActivityUnitOfWork(DbContext context, ContextActivityState state, ActivityScope scope)
    {
        Context = context;
        _state = state;
        _scope = scope;
    }

    /// <summary>The context whose <c>SaveChanges</c> stores the recorded events.</summary>
    public DbContext Context { get; }

    /// <summary>How many events recorded on this context are not yet stored by a successful <c>SaveChanges</c>.</summary>
    public int PendingCount => _state.UnsavedCount;

    /// <summary>Ends the unit of work: later <c>Record</c> calls go to the queue again. Discards unsaved events with a warning.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _scope.Dispose();
        _state.CloseUnit();
    }
}

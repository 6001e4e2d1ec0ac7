using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.Redaction;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>
/// Adds the activity events of a <c>SaveChanges</c> to that same <c>SaveChanges</c>: the events recorded in an open
/// <see cref="ActivityUnitOfWork"/>, and the changes of captured entity types. One instance per application,
/// shared by every context it is added to (pooled ones included); per-context state lives in a weak table.
/// </summary>
/// <remarks>
/// <para>
/// In <c>SavingChanges</c> the events run through <see cref="IActivityLogEventProcessor"/> and become
/// <see cref="StoredActivityLogEvent"/> rows added to the change tracker, so EF Core writes them in the same batch and
/// transaction as the business rows. Entities whose key (or a foreign key) the database generates are finished
/// later: when EF Core commits its transaction (the values are known by then, and nothing is committed yet) the rows
/// are inserted on that transaction. If the save would run a single statement without a transaction, the context's
/// <see cref="AutoTransactionBehavior"/> is set to <see cref="AutoTransactionBehavior.Always"/> for that save so that
/// there is one. Inside a transaction the app opened (or an ambient <c>TransactionScope</c>), they are inserted in
/// <c>SavedChanges</c>, still inside it.
/// </para>
/// <para>
/// After the save our rows are detached, so the tracker holds only the app's entities. When a save fails, our rows are
/// detached and the unit of work's events kept for the next <c>SaveChanges</c>; captured changes are captured again.
/// </para>
/// <para>
/// With outbox subscribers registered, each event's outbox deliveries join the same save (or the same deferred INSERTs),
/// so they commit and roll back with it; the delivery workers are woken once the transaction committed.
/// </para>
/// </remarks>
internal sealed class ActivityLogSaveChangesInterceptor(
    IActivityLogEventProcessor processor,
    SensitiveFieldRedactor redactor,
    TimeProvider time,
    IOptionsMonitor<ActivityChangeCaptureOptions> options,
    OutboxWriter outbox,
    ILogger<ActivityLogSaveChangesInterceptor> logger) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    private const string SavepointName = "activity_log_capture";

    private readonly ConditionalWeakTable<DbContext, ContextActivityState> _states = new();

    internal ILogger Logger => logger;

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } context && !result.HasResult)
        {
            Wait(PrepareAsync(context, CancellationToken.None));
        }

        return result;
    }

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context && !result.HasResult)
        {
            await PrepareAsync(context, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context is { } context && _states.TryGetValue(context, out var state) && state.InSave)
        {
            Wait(CompleteAsync(context, state, async: false, CancellationToken.None));
        }

        NotifyOutboxIfCommitted(eventData.Context);
        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context && _states.TryGetValue(context, out var state) && state.InSave)
        {
            await CompleteAsync(context, state, async: true, cancellationToken).ConfigureAwait(false);
        }

        NotifyOutboxIfCommitted(eventData.Context);
        return result;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => Abandon(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Abandon(eventData.Context);
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => Abandon(eventData.Context);

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        Abandon(eventData.Context);
        return Task.CompletedTask;
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        if (DeferredForCommit(eventData.Context) is { } state)
        {
            Wait(WriteDeferredAsync(eventData.Context!, state, transaction, async: false, CancellationToken.None));
        }

        return result;
    }

    public async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (DeferredForCommit(eventData.Context) is { } state)
        {
            await WriteDeferredAsync(eventData.Context!, state, transaction, async: true, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => NotifyOutbox(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        NotifyOutbox(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => ForgetOutbox(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ForgetOutbox(eventData.Context);
        return Task.CompletedTask;
    }

    /// <summary>Opens a unit of work on the context (see <see cref="ActivityUnitOfWork"/>).</summary>
    public ActivityUnitOfWork BeginUnitOfWork(DbContext context)
    {
        var state = StateOf(context);
        state.OpenUnit();
        return new ActivityUnitOfWork(context, state, ActivityScope.BeginCollecting(state));
    }

    /// <summary>Blocks a synchronous <c>SaveChanges</c> on work that only awaits when the gate or the database is truly asynchronous.</summary>
    private static void Wait(ValueTask task)
    {
        if (task.IsCompleted)
        {
            task.GetAwaiter().GetResult();
            return;
        }

        task.AsTask().GetAwaiter().GetResult();
    }

    private ContextActivityState StateOf(DbContext context)
    {
        var state = _states.GetValue(context, c => new ContextActivityState(this, c));
        int lease = context.ContextId.Lease;
        if (state.Lease != lease)
        {
            state.ResetLease(lease);
        }

        return state;
    }

    private async ValueTask PrepareAsync(DbContext context, CancellationToken cancellationToken)
    {
        try
        {
            var model = CaptureModel.For(context.Model);
            ContextActivityState? state = null;
            if (_states.TryGetValue(context, out _))
            {
                state = StateOf(context);
                if (state.InSave)
                {
                    // The previous SaveChanges never finished (another interceptor threw before it ran): start clean.
                    Release(context, state);
                }
            }

            bool unitEvents = state?.HasUnitEvents == true;
            if (!unitEvents && !model.HasCapture)
            {
                return;
            }

            state ??= StateOf(context);
            if (unitEvents)
            {
                await AddUnitRowsAsync(context, model, state, cancellationToken).ConfigureAwait(false);
            }

            if (model.HasCapture)
            {
                await AddCapturedRowsAsync(context, model, state, cancellationToken).ConfigureAwait(false);
            }

            state.InSave = state.Attached.Count > 0 || state.Deferred is not null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abandon(context);
            throw;
        }
        catch (Exception exception)
        {
            // EF Core calls no SaveChangesFailed for an exception thrown here, before its statements: clean up now.
            Abandon(context);
            if (options.CurrentValue.OnFailure == ActivityCaptureFailureBehavior.LogAndContinue)
            {
                ChangeCaptureLog.CaptureFailedAndSkipped(logger, exception, context.GetType().Name);
                return;
            }

            throw Failure(context, exception, rolledBack: true);
        }
    }

    private async ValueTask AddUnitRowsAsync(DbContext context, CaptureModel model, ContextActivityState state, CancellationToken cancellationToken)
    {
        if (state.TakePending() is { } taken)
        {
            try
            {
                EnsureMapped(context, model);
                var batch = new List<ActivityLogEvent>(taken);
                await processor.ProcessAsync(batch, cancellationToken).ConfigureAwait(false);
                state.UnitRows.AddRange(batch.ConvertAll(e => StoredActivityLogEvent.FromActivityLogEvent(e, redactor.Mask)));
            }
            catch
            {
                state.ReturnPending(taken);
                throw;
            }
        }

        // Rows of a failed save were detached; they join this one.
        foreach (var row in state.UnitRows)
        {
            state.Attached.Add(context.Add(row));
            if (outbox.HasSubscribers)
            {
                // Read back from the row, so that a save retried after a failure adds the same deliveries again.
                AttachOutboxDeliveries(context, state, row.ToActivityLogEvent());
            }
        }
    }

    /// <summary>Adds the event's outbox deliveries to the save in progress (they are detached with our rows when it ends).</summary>
    private void AttachOutboxDeliveries(DbContext context, ContextActivityState state, ActivityLogEvent activityEvent)
    {
        if (outbox.DeliveriesFor(activityEvent) is { } deliveries)
        {
            OutboxWriter.EnsureMapped(context);
            foreach (var delivery in deliveries)
            {
                state.Attached.Add(context.Add(delivery));
            }

            state.OutboxNotifyPending = true;
        }
    }

    /// <summary>After a save: wake the delivery workers now, unless the deliveries wait for the app's own transaction to commit.</summary>
    /// <remarks>Every app save and commit passes here: with no subscriber registered, no delivery is pending, so nothing is looked up.</remarks>
    private void NotifyOutboxIfCommitted(DbContext? context)
    {
        if (outbox.HasSubscribers && context is not null && context.Database.CurrentTransaction is null)
        {
            NotifyOutbox(context);
        }
    }

    private void NotifyOutbox(DbContext? context)
    {
        if (outbox.HasSubscribers && context is not null && _states.TryGetValue(context, out var state) && state.OutboxNotifyPending)
        {
            state.OutboxNotifyPending = false;
            outbox.Notify();
        }
    }

    private void ForgetOutbox(DbContext? context)
    {
        if (outbox.HasSubscribers && context is not null && _states.TryGetValue(context, out var state))
        {
            state.OutboxNotifyPending = false;
        }
    }

    private async ValueTask AddCapturedRowsAsync(DbContext context, CaptureModel model, ContextActivityState state, CancellationToken cancellationToken)
    {
        var captured = ChangeCapturer.Capture(context, model, redactor.Mask);
        if (captured.Count == 0)
        {
            return;
        }

        EnsureMapped(context, model);
        var ambient = Ambient();
        List<ActivityLogEvent>? events = null;
        foreach (var entity in captured)
        {
            if (entity.HasPending)
            {
                (state.Deferred ??= []).Add(entity);
            }
            else
            {
                (events ??= new List<ActivityLogEvent>(captured.Count)).Add(entity.ToEvent(ambient));
            }
        }

        if (events is not null)
        {
            await processor.ProcessAsync(events, cancellationToken).ConfigureAwait(false);
            foreach (var activityEvent in events)
            {
                state.Attached.Add(context.Add(StoredActivityLogEvent.FromActivityLogEvent(activityEvent, redactor.Mask)));
                AttachOutboxDeliveries(context, state, activityEvent);
            }
        }

        if (state.Deferred is not null)
        {
            state.DeferredAmbient = ambient;
            PlanDeferredWrite(context, state);
        }
    }

    /// <summary>
    /// Rows that need generated keys go in when EF Core commits its own transaction; a save that would run without
    /// one gets one. Inside the app's transaction they go in from <c>SavedChanges</c>, still inside it.
    /// </summary>
    private static void PlanDeferredWrite(DbContext context, ContextActivityState state)
    {
        var database = context.Database;
        if (!database.IsRelational())
        {
            throw new InvalidOperationException("Capturing entities whose keys the database generates needs a relational database provider.");
        }

        state.WriteDeferredOnCommit = database.CurrentTransaction is null && context.GetService<IRelationalConnection>() is not RelationalConnection { EnlistedTransaction: not null } &&
            System.Transactions.Transaction.Current is null && database.AutoTransactionBehavior != AutoTransactionBehavior.Never;
        if (state.WriteDeferredOnCommit && database.AutoTransactionBehavior == AutoTransactionBehavior.WhenNeeded)
        {
            state.RestoreBehavior = AutoTransactionBehavior.WhenNeeded;
            database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
        }
    }

    private ContextActivityState? DeferredForCommit(DbContext? context) =>
        context is not null && _states.TryGetValue(context, out var state) && state.InSave && state.WriteDeferredOnCommit && state.Deferred is not null
            ? state
            : null;

    private async ValueTask WriteDeferredAsync(DbContext context, ContextActivityState state, DbTransaction? transaction, bool async, CancellationToken cancellationToken)
    {
        // Going on after a failed statement needs a savepoint: PostgreSQL aborts the whole transaction otherwise,
        // and its commit would silently roll the business change back.
        bool logAndContinue = options.CurrentValue.OnFailure == ActivityCaptureFailureBehavior.LogAndContinue;
        bool savepoint = false;
        try
        {
            if (state.DeferredRows is null)
            {
                var events = new List<ActivityLogEvent>(state.Deferred!.Count);
                foreach (var entity in state.Deferred)
                {
                    var activityEvent = entity.ToEvent(state.DeferredAmbient);
                    if (!CapturedEntity.IsEmptyUpdate(activityEvent, entity))
                    {
                        events.Add(activityEvent);
                    }
                }

                await processor.ProcessAsync(events, cancellationToken).ConfigureAwait(false);
                state.DeferredRows = events.ConvertAll(e => StoredActivityLogEvent.FromActivityLogEvent(e, redactor.Mask));
            }

            if (state.DeferredRows.Count > 0)
            {
                var model = CaptureModel.For(context.Model);
                var inserter = model.Inserter;
                savepoint = logAndContinue && transaction is { SupportsSavepoints: true };
                if (async)
                {
                    if (savepoint)
                    {
                        await transaction!.SaveAsync(SavepointName, cancellationToken).ConfigureAwait(false);
                    }

                    await inserter.InsertAsync(context, state.DeferredRows, cancellationToken).ConfigureAwait(false);
                    if (DeferredOutboxDeliveries(context, state) is { } deliveries)
                    {
                        await model.OutboxInserter.InsertAsync(context, deliveries, cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    if (savepoint)
                    {
                        transaction!.Save(SavepointName);
                    }

                    inserter.Insert(context, state.DeferredRows);
                    if (DeferredOutboxDeliveries(context, state) is { } deliveries)
                    {
                        model.OutboxInserter.Insert(context, deliveries);
                    }
                }
            }

            state.DeferredWritten = true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (!logAndContinue)
            {
                throw Failure(context, exception, rolledBack: true);
            }

            if (savepoint)
            {
                if (async)
                {
                    await transaction!.RollbackAsync(SavepointName, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    transaction!.Rollback(SavepointName);
                }
            }

            state.DeferredWritten = true;
            ChangeCaptureLog.CaptureFailedAndSkipped(logger, exception, context.GetType().Name);
        }
    }

    /// <summary>The outbox deliveries of the deferred rows (read back from them), or <see langword="null"/>.</summary>
    private List<OutboxDeliveryRow>? DeferredOutboxDeliveries(DbContext context, ContextActivityState state)
    {
        if (!outbox.HasSubscribers)
        {
            return null;
        }

        List<OutboxDeliveryRow>? all = null;
        foreach (var row in state.DeferredRows!)
        {
            if (outbox.DeliveriesFor(row.ToActivityLogEvent()) is { } deliveries)
            {
                (all ??= []).AddRange(deliveries);
            }
        }

        if (all is not null)
        {
            OutboxWriter.EnsureMapped(context);
            state.OutboxNotifyPending = true;
        }

        return all;
    }

    private async ValueTask CompleteAsync(DbContext context, ContextActivityState state, bool async, CancellationToken cancellationToken)
    {
        try
        {
            if (state.Deferred is not null && !state.DeferredWritten)
            {
                if (state.WriteDeferredOnCommit)
                {
                    // The save had to run in a transaction of EF Core's own, and none was committed: no statement ran
                    // (another interceptor suppressed the save), so there is no change to record.
                    ChangeCaptureLog.DeferredEventsNotWritten(logger, state.Deferred.Count, state.ContextType);
                }
                else
                {
                    await WriteDeferredAsync(context, state, context.Database.CurrentTransaction?.GetDbTransaction(), async, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Release(context, state);
            state.ClearUnitRows();
        }
    }

    /// <summary>A save failed, was canceled or never ran: detach our rows; the unit of work's events stay for the next save.</summary>
    private void Abandon(DbContext? context)
    {
        if (context is not null && _states.TryGetValue(context, out var state))
        {
            Release(context, state);
        }
    }

    private static void Release(DbContext context, ContextActivityState state)
    {
        foreach (var entry in state.Attached)
        {
            entry.State = EntityState.Detached;
        }

        state.Attached.Clear();
        state.Deferred = null;
        state.DeferredRows = null;
        state.DeferredWritten = false;
        state.WriteDeferredOnCommit = false;
        state.InSave = false;
        if (state.RestoreBehavior is { } behavior)
        {
            context.Database.AutoTransactionBehavior = behavior;
            state.RestoreBehavior = null;
        }
    }

    private AmbientValues Ambient()
    {
        var scope = ActivityScope.Current;
        var context = scope?.Context;

        // The recorder stamps the trace on recorded events; captured ones take its id as their correlation id here.
        if (Activity.Current is { } trace && context?.CorrelationId is null)
        {
            context = (context ?? new ActivityRequestContext()) with { CorrelationId = trace.TraceId.ToHexString() };
        }

        return new AmbientValues(scope?.Actor ?? default, scope?.AccountId, context, time.GetUtcNow());
    }

    private static void EnsureMapped(DbContext context, CaptureModel model)
    {
        if (model.EventEntityType is null)
        {
            throw new InvalidOperationException(
                $"{context.GetType().Name} records activities but its model has no activity log table: call modelBuilder.AddActivityLog() in OnModelCreating.");
        }
    }

    private static InvalidOperationException Failure(DbContext context, Exception exception, bool rolledBack) =>
        new($"The activity events of this SaveChanges on {context.GetType().Name} could not be recorded. " +
            (rolledBack
                ? "Nothing is committed: the save fails (or, inside your own transaction, roll it back). See the inner exception."
                : "The save ran without a transaction (AutoTransactionBehavior.Never), so its changes are already stored. See the inner exception."),
            exception);
}

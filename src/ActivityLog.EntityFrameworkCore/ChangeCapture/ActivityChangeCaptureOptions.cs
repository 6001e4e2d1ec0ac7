using System.ComponentModel.DataAnnotations;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>How automatic change capture and transactional recording behave inside the host's <c>SaveChanges</c>.</summary>
/// <remarks>Configure with <c>services.Configure&lt;ActivityChangeCaptureOptions&gt;(o =&gt; …)</c>; validated when the host starts; read once per <c>SaveChanges</c>.</remarks>
public sealed class ActivityChangeCaptureOptions
{
    /// <summary>
    /// What happens when the events of a <c>SaveChanges</c> cannot be recorded: a configuration error (a model without
    /// the activity log table, an invalid resource type), a pipeline failure, or, for entities whose keys the database
    /// generates, an event row the database rejects. Rows written in the save's own batch (the other entities) fail
    /// with it like any row: the save throws and nothing is committed.
    /// </summary>
    /// <value><see cref="ActivityCaptureFailureBehavior.FailSaveChanges"/>.</value>
    [EnumDataType(typeof(ActivityCaptureFailureBehavior))]
    public ActivityCaptureFailureBehavior OnFailure { get; set; } = ActivityCaptureFailureBehavior.FailSaveChanges;
}

/// <summary>What a <c>SaveChanges</c> does when its activity events cannot be recorded.</summary>
public enum ActivityCaptureFailureBehavior
{
    /// <summary>
    /// The <c>SaveChanges</c> throws an <see cref="InvalidOperationException"/> (the cause as its inner exception) and
    /// its transaction rolls back: the business change and its events commit together or not at all. The change
    /// tracker keeps the changes and the recorded events, so the app can retry. The default: an audit trail with gaps
    /// is worse than a failed request.
    /// </summary>
    FailSaveChanges,

    /// <summary>
    /// The error is logged and the <c>SaveChanges</c> goes on without the events it could not record (a rejected row is
    /// undone with a savepoint, so the transaction stays usable). For apps where availability matters more than a
    /// complete activity log.
    /// </summary>
    LogAndContinue,
}

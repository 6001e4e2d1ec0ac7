namespace ActivityLog.Extensibility;

/// <summary>
/// Thrown by a sink when a batch failed because of what an event holds, not because the sink or its transport is
/// unavailable: a value the store cannot hold, a constraint the row breaks. The dispatcher does not retry it: it
/// splits the batch until the failing event is alone, writes the others, and puts that one into the
/// <see cref="IActivityQuarantine"/>. Any other exception counts as transient and is retried with back-off.
/// </summary>
/// <remarks>The message becomes the quarantine entry's reason and a log line: it must never quote a value.</remarks>
public sealed class ActivityLogEventRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ActivityLogEventRejectedException()
        : this("The sink rejected an event of the batch.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why, without any value of the event.</param>
    public ActivityLogEventRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why, without any value of the event.</param>
    /// <param name="innerException">The store's own exception.</param>
    public ActivityLogEventRejectedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for one known event, so the dispatcher need not search for it.</summary>
    /// <param name="eventId">The <see cref="ActivityLogEvent.Id"/> of the rejected event.</param>
    /// <param name="message">Why, without any value of the event.</param>
    /// <param name="innerException">The store's own exception, or <see langword="null"/>.</param>
    public ActivityLogEventRejectedException(Guid eventId, string message, Exception? innerException = null)
        : base(message, innerException) => EventId = eventId;

    /// <summary>The rejected event, when the sink knows which one it is; else the dispatcher bisects the batch to find it.</summary>
    public Guid? EventId { get; }
}

namespace ActivityLog;

/// <summary>Records activities. Register it with <c>services.AddActivityLog()</c> and inject it where activities happen.</summary>
/// <remarks>
/// <para>
/// Recording validates the input, stamps the time and the ambient actor, account and correlation (see
/// <see cref="ActivityScope"/>) and hands the event to the pipeline. On the default queued path it does no I/O,
/// takes no lock held across an await, and never throws because a sink failed; it throws only
/// <see cref="ArgumentException"/> for bad input. Thread-safe.
/// </para>
/// <para>Most code calls the <see cref="ActivityRecorderExtensions.Record(IActivityRecorder, string, ActivityResource?, ReadOnlySpan{ActivityChange}, ActivityActor?, ReadOnlySpan{ActivityResource}, string?, ActivityRequestContext?, IReadOnlyDictionary{string, object?}?)"/> extension with named arguments.</para>
/// </remarks>
public interface IActivityRecorder
{
    /// <summary>Records one activity.</summary>
    /// <param name="entry">What happened. Its spans are copied; the caller may reuse them afterwards.</param>
    /// <exception cref="ArgumentException">The entry is invalid: the message names the bad field.</exception>
    void Record(in ActivityEntry entry);
}

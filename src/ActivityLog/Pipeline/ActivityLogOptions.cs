using System.ComponentModel.DataAnnotations;
using ActivityLog.Extensibility;
using ActivityLog.Formatting;
using ActivityLog.Redaction;
using Microsoft.Extensions.Options;

namespace ActivityLog;

/// <summary>
/// How the in-process pipeline queues, batches, retries and shuts down. Bindable from configuration (section
/// <c>ActivityLog</c>); validated when the host starts.
/// </summary>
public sealed class ActivityLogOptions
{
    /// <summary>The configuration section the options bind from by default.</summary>
    public const string SectionName = "ActivityLog";

    /// <summary>How many recorded events may wait for the dispatcher. Bounds the memory the queue can hold.</summary>
    /// <value>10,000. Between 1 and 10,000,000.</value>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>What <c>Record</c> does when the queue is full.</summary>
    /// <value><see cref="ActivityQueueFullMode.Wait"/>: wait up to <see cref="QueueFullTimeout"/>, then drop and count.</value>
    public ActivityQueueFullMode QueueFullMode { get; set; } = ActivityQueueFullMode.Wait;

    /// <summary>With <see cref="ActivityQueueFullMode.Wait"/>, the longest <c>Record</c> blocks for room before it drops the event.</summary>
    /// <value>100 milliseconds. Between 1 ms and 1 minute.</value>
    public TimeSpan QueueFullTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The most events handed to the sinks in one batch.</summary>
    /// <value>500. Between 1 and 100,000.</value>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>
    /// How long the dispatcher lets a batch fill after the first event arrives, when the previous batch was not full.
    /// Keeps the recording path free of a wake-up per event; <see cref="TimeSpan.Zero"/> sends at once.
    /// </summary>
    /// <value>20 milliseconds. Between 0 and 1 minute.</value>
    public TimeSpan BatchDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a graceful stop keeps draining the queue into the sinks before it gives up and counts the rest as dropped.</summary>
    /// <value>30 seconds (the host's own shutdown timeout may end it sooner). Between 0 and 1 hour.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many processed events may wait for one sink. Each sink has its own queue, so a slow or failing sink never
    /// holds back the others: while a sink keeps up, a full queue makes the dispatcher wait for it (back-pressure up to
    /// <c>Record</c>, per <see cref="QueueFullMode"/>); while it is failing, what does not fit is dropped for that sink
    /// and counted (<c>sink_queue_full</c>). Events are shared by the sinks' queues, so the most events held in memory
    /// is <see cref="QueueCapacity"/> plus this.
    /// </summary>
    /// <value><see langword="null"/>: the same as <see cref="QueueCapacity"/>. Between 1 and 10,000,000 when set.</value>
    [Range(1, 10_000_000)]
    public int? SinkQueueCapacity { get; set; }

    /// <summary>
    /// The longest the dispatcher waits for room in the full queue of a sink that is not failing (a sink slower than the
    /// load) before it drops the batch for that sink and counts it (<c>sink_queue_full</c>). Bounds how long a sink that
    /// stalls without failing can hold back the other sinks.
    /// </summary>
    /// <value>1 second. Between 0 and 1 minute.</value>
    public TimeSpan SinkQueueFullTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many rejected events the default in-memory <see cref="IActivityQuarantine"/> keeps; older ones are dropped and counted (<c>quarantine_full</c>).</summary>
    /// <value>10,000. Between 1 and 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int QuarantineCapacity { get; set; } = 10_000;

    /// <summary>
    /// What happens to an event that has no account (none given to <c>Record</c> and none in the ambient
    /// <see cref="ActivityScope"/>). In a multi-account host such an event belongs to no account's log, so it must not
    /// be stored silently: <see cref="ActivityMissingAccountMode.Drop"/> counts it (<c>activitylog.events.dropped</c>,
    /// reason <c>missing_account</c>) and logs a warning.
    /// </summary>
    /// <value>
    /// <see langword="null"/>: <see cref="ActivityMissingAccountMode.Allow"/> in a single-account host, and
    /// <see cref="ActivityMissingAccountMode.Drop"/> once the host is multi-account (the ASP.NET Core integration sets
    /// that when it is told where the account comes from: a resolver, a claim, a route value or a header). Set it to
    /// choose explicitly.
    /// </value>
    public ActivityMissingAccountMode? MissingAccount { get; set; }

    /// <summary>How a failing sink is retried.</summary>
    [ValidateObjectMembers]
    public ActivitySinkRetryOptions SinkRetry { get; set; } = new();

    /// <summary>Bounds on the size, length and depth of change and metadata values.</summary>
    [ValidateObjectMembers]
    public ActivityValueLimits Limits { get; set; } = new();

    /// <summary>Which keys are masked with <c>[FILTERED]</c>.</summary>
    public ActivityRedactionOptions Redaction { get; set; } = new();

    /// <summary>The description templates.</summary>
    public ActivityDescriptionOptions Descriptions { get; set; } = new();
}

/// <summary>What <c>Record</c> does when the queue is full.</summary>
public enum ActivityQueueFullMode
{
    /// <summary>Block the caller up to <see cref="ActivityLogOptions.QueueFullTimeout"/> for room (back-pressure), then drop the event and count it.</summary>
    Wait,

    /// <summary>Drop the new event at once and count it; the caller never blocks.</summary>
    DropNewest,
}

/// <summary>What happens to an event without an account; see <see cref="ActivityLogOptions.MissingAccount"/>.</summary>
public enum ActivityMissingAccountMode
{
    /// <summary>Store it with no account (single-account hosts, or an explicit opt-in in a multi-account one).</summary>
    Allow,

    /// <summary>Drop it, count it (<c>activitylog.events.dropped</c>, reason <c>missing_account</c>) and log a warning. <c>Record</c> never throws for it.</summary>
    Drop,

    /// <summary>
    /// <c>Record</c> throws an <see cref="ArgumentException"/> naming <c>accountId</c>. Events that do not come through
    /// <c>Record</c> (captured entity changes) have no caller to throw to: they are dropped and counted as with <see cref="Drop"/>.
    /// </summary>
    Throw,
}

/// <summary>Retry with exponential back-off and jitter for a sink that throws (Polly's retry strategy).</summary>
public sealed class ActivitySinkRetryOptions
{
    /// <summary>Retries after the first attempt; after the last one the batch is counted as dropped for that sink and logged.</summary>
    /// <value>10. Between 0 and 1,000.</value>
    [Range(0, 1000)]
    public int MaxRetryAttempts { get; set; } = 10;

    /// <summary>The first back-off delay; it doubles per attempt.</summary>
    /// <value>1 second.</value>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest back-off delay.</summary>
    /// <value>1 minute.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Validates <see cref="ActivityLogOptions"/> at start (source-generated).</summary>
[OptionsValidator]
internal sealed partial class ActivityLogOptionsValidator : IValidateOptions<ActivityLogOptions>;

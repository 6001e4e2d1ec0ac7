using System.Diagnostics;

namespace ActivityLog;

/// <summary>
/// One entry of the activity log: who (<see cref="Actor"/>) did what (<see cref="Name"/>) to which resource,
/// when, with which changes.
/// </summary>
/// <remarks>
/// <para>
/// App code does not build events: it calls <see cref="IActivityRecorder"/>. Sinks receive events after the
/// pipeline has run, at which point <see cref="Id"/> and <see cref="Description"/> are set, every value is
/// redacted and nested values are <see cref="System.Text.Json.Nodes.JsonNode"/> trees. Stores that read events
/// back create them with the object initializer, setting every property.
/// </para>
/// <para>An event is not thread-safe while the pipeline processes it; once a sink has it, treat it as read-only.</para>
/// </remarks>
public sealed class ActivityLogEvent
{
    private static readonly IReadOnlyList<ActivityChange> NoChanges = [];
    private static readonly IReadOnlyList<ActivityResource> NoResources = [];

    private Guid _id;
    private string? _description;
    private IReadOnlyList<ActivityChange> _changes = NoChanges;
    private ActivityRequestContext? _context;
    private IReadOnlyDictionary<string, object?>? _metadata;

    // Kept narrow because every recorded event is allocated on the caller's thread: UTC ticks instead of a
    // DateTimeOffset, and one field for either the trace (real events) or the flush completion (markers). Ticks are
    // never negative, so the sign bit carries HasSnapshotValues: a bool field of its own would make every event 8 bytes
    // larger.
    private const long SnapshotFlag = long.MinValue;
    private long _utcTicks;
    private object? _ambient;

    /// <summary>The unique, time-ordered id (a version 7 GUID), set by the pipeline before any sink sees the event.</summary>
    public Guid Id { get => _id; init => _id = value; }

    /// <summary>The event name, such as <c>activity_log.user.updated</c>. Written to JSON as <c>event</c>.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The predicate without the actor ("updated the user profile"), set by the pipeline from the description
    /// templates. The page shows "<c>&lt;actor name or Someone&gt; &lt;description&gt;.</c>".
    /// </summary>
    public string? Description { get => _description; init => _description = value; }

    /// <summary>Who did it. <c>default</c> is the unknown actor ("Someone").</summary>
    public ActivityActor Actor { get; init; }

    /// <summary>What it was done to, if anything.</summary>
    public ActivityResource? Resource { get; init; }

    /// <summary>Other resources the sentence mentions ("from Transactional"); empty when none.</summary>
    public IReadOnlyList<ActivityResource> RelatedResources { get; init; } = NoResources;

    /// <summary>The changed fields in the order they were given; empty when none.</summary>
    public IReadOnlyList<ActivityChange> Changes { get => _changes; init => _changes = value ?? NoChanges; }

    /// <summary>When the activity happened (from the configured <see cref="TimeProvider"/>), in UTC; a value with another offset is converted.</summary>
    public DateTimeOffset Timestamp { get => new(_utcTicks & ~SnapshotFlag, TimeSpan.Zero); init => _utcTicks = value.UtcTicks | (_utcTicks & SnapshotFlag); }

    /// <summary>The account (tenant) the activity belongs to, or <see langword="null"/>.</summary>
    public string? AccountId { get; init; }

    /// <summary>Request context: IP address, user agent, auth method, correlation id.</summary>
    public ActivityRequestContext? Context { get => _context; init => _context = value; }

    /// <summary>Free-form extra values, redacted like changes.</summary>
    public IReadOnlyDictionary<string, object?>? Metadata { get => _metadata; init => _metadata = value; }

    /// <summary>
    /// The <see cref="System.Diagnostics.Activity"/> that was current when the activity was recorded; the pipeline
    /// turns its trace id into the correlation id, so the recording path formats nothing.
    /// </summary>
    internal Activity? Trace { get => _ambient as Activity; init => _ambient = value; }

    /// <summary>Set on the marker events that <see cref="Pipeline.ActivityDispatcher.FlushAsync"/> queues.</summary>
    internal TaskCompletionSource? FlushCompletion { get => _ambient as TaskCompletionSource; init => _ambient = value; }

    /// <summary>
    /// Whether the values are already the pipeline's own checked snapshot (events from <c>Record</c>); events built
    /// elsewhere (captured entity changes) are normalised and repaired by the pipeline instead.
    /// </summary>
    internal bool HasSnapshotValues { get => _utcTicks < 0; init => _utcTicks = value ? _utcTicks | SnapshotFlag : _utcTicks & ~SnapshotFlag; }

    internal void SetId(Guid id) => _id = id;

    internal void SetDescription(string? description) => _description = description;

    internal void SetChanges(IReadOnlyList<ActivityChange> changes) => _changes = changes;

    internal void SetContext(ActivityRequestContext? context) => _context = context;

    internal void SetMetadata(IReadOnlyDictionary<string, object?>? metadata) => _metadata = metadata;

    /// <inheritdoc />
    public override string ToString() => $"{Name} by {Actor} on {Resource} at {Timestamp:O}";
}

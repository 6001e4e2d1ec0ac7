namespace ActivityLog.EntityFrameworkCore.Quarantine;

/// <summary>
/// One row of the quarantine table: an event a sink rejected for good, kept as the core's JSON (every field) with the
/// columns an operator filters on. Written once per event and sink (a unique index), never updated.
/// </summary>
internal sealed class QuarantineRow
{
    /// <summary>The longest <see cref="Sink"/> kept.</summary>
    public const int MaxSinkLength = 200;

    /// <summary>The longest <see cref="Reason"/> kept; a longer one is cut.</summary>
    public const int MaxReasonLength = 2_000;

    /// <summary>Time-ordered (UUIDv7 of <see cref="QuarantinedAt"/>).</summary>
    public Guid Id { get; set; }

    /// <summary>The event's own id (<see cref="ActivityLogEvent.Id"/>).</summary>
    public Guid EventId { get; set; }

    /// <summary>The event name, made storable (see <see cref="QuarantineJson.Storable"/>).</summary>
    public string EventName { get; set; } = "";

    /// <summary>The event's account, made storable.</summary>
    public string? AccountId { get; set; }

    /// <summary>The sink that rejected it, as in the metrics' <c>sink</c> tag.</summary>
    public string Sink { get; set; } = "";

    /// <summary>Why, never a value (the rejection's message).</summary>
    public string Reason { get; set; } = "";

    /// <summary>The event's timestamp, UTC, to the microsecond: the JSON contract keeps whole seconds only.</summary>
    public DateTime OccurredAt { get; set; }

    /// <summary>When it was quarantined, UTC, to the microsecond.</summary>
    public DateTime QuarantinedAt { get; set; }

    /// <summary>
    /// The event as the core's JSON (<see cref="ActivityJsonSerializer"/>, every optional field), escaped
    /// to ASCII: no NUL or lone surrogate reaches the column, whatever the event holds.
    /// </summary>
    public string EventJson { get; set; } = "";
}

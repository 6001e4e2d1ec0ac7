using ActivityLog.Extensibility;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>
/// One outbox delivery: the event <see cref="EventId"/> waits for delivery to <see cref="Destination"/>. Written in the
/// same transaction as the event; joined into a batch (<see cref="BatchId"/>) when a worker claims it; deleted when
/// the batch is delivered.
/// </summary>
internal sealed class OutboxDeliveryRow
{
    /// <summary>Database-generated, increasing: the order batches are formed in (oldest first).</summary>
    public long Id { get; set; }

    public string Destination { get; set; } = "";

    /// <summary>The event's id (<see cref="StoredActivityLogEvent.Id"/>); the event is read from the events table.</summary>
    public Guid EventId { get; set; }

    /// <summary>The batch the delivery belongs to, or <see langword="null"/> while unbatched.</summary>
    public Guid? BatchId { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A batch of outbox deliveries: its state across attempts, under a stable id.</summary>
internal sealed class OutboxBatchRow
{
    public const string Pending = "pending";
    public const string Dead = "dead";

    /// <summary>The longest <see cref="LastError"/> kept (the contract of <c>IActivityOutbox</c>).</summary>
    public const int MaxErrorLength = 2_000;

    /// <summary>The longest destination name (the contract of <c>IActivityOutboxSubscriber</c>).</summary>
    public const int MaxDestinationLength = 200;

    public Guid Id { get; set; }

    public string Destination { get; set; } = "";

    /// <summary>Earlier failed attempts.</summary>
    public int Attempt { get; set; }

    /// <summary><see cref="Pending"/> or <see cref="Dead"/>.</summary>
    public string Status { get; set; } = Pending;

    /// <summary>When the batch may be claimed (again).</summary>
    public DateTime NextAttemptAt { get; set; }

    /// <summary>While in the future, the batch is leased to the worker that claimed it; also that claim's fencing token.</summary>
    public DateTime? LeaseExpiresAt { get; set; }

    public string? LastError { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? DeadLetteredAt { get; set; }
}

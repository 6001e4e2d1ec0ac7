using ActivityLog.Extensibility;
namespace ActivityLog.Extensibility;

/// <summary>A batch that will not be attempted again unless redelivered (<see cref="IActivityOutbox.RedeliverAsync"/>).</summary>
/// <param name="BatchId">The batch id (the same id is used when it is redelivered).</param>
/// <param name="Destination">The destination.</param>
/// <param name="EventCount">How many events the batch holds.</param>
/// <param name="Attempts">How many attempts were made.</param>
/// <param name="LastError">Why the last attempt failed.</param>
/// <param name="CreatedAt">When the batch was formed.</param>
/// <param name="DeadLetteredAt">When it was dead-lettered.</param>
public sealed record ActivityOutboxDeadLetter(
    Guid BatchId,
    string Destination,
    int EventCount,
    int Attempts,
    string LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset DeadLetteredAt);

using ActivityLog.Extensibility;
namespace ActivityLog.Extensibility;

/// <summary>The limits of a batch formed by <see cref="IActivityOutbox.ClaimAsync"/> and the length of its lease.</summary>
public sealed record ActivityOutboxClaim
{
    /// <summary>The most events a new batch takes: at least 1.</summary>
    public required int MaxEvents { get; init; }

    /// <summary>The most bytes a new batch takes, summed with <see cref="MeasureBytes"/>; a single larger event still forms a batch of one.</summary>
    public int MaxBytes { get; init; } = int.MaxValue;

    /// <summary>Measures one event as the destination will send it (for example its serialized length); <see langword="null"/> to count events only.</summary>
    public Func<ActivityLogEvent, int>? MeasureBytes { get; init; }

    /// <summary>How long the claimed batch stays leased to this worker; after that another worker may claim it.</summary>
    public required TimeSpan Lease { get; init; }
}

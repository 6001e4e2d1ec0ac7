namespace ActivityLog.Extensibility;

/// <summary>What <see cref="IActivityOutbox.ListDueAsync"/> found: the destinations with work due now, and when more falls due.</summary>
/// <param name="Destinations">
/// Destinations with a batch or deliveries due now and no batch in flight (no live lease), the one whose work fell due
/// first coming first.
/// </param>
/// <param name="NextDueAt">
/// The earliest moment after now at which a destination not listed falls due (a retry time or a lease running out), or
/// <see langword="null"/> when none is known; a delivery engine sleeps until then at most.
/// </param>
public sealed record ActivityOutboxDueList(IReadOnlyList<string> Destinations, DateTimeOffset? NextDueAt)
{
    /// <summary>Nothing due, nothing scheduled.</summary>
    public static ActivityOutboxDueList Empty { get; } = new([], null);
}

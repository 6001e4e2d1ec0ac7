namespace ActivityLog.Samples.Quickstart;

/// <summary>
/// A clock that starts at the moment of the documentation's example payload (Unix time 1733739084) and then runs
/// normally, so the printed payload is byte for byte the one in the docs. A real app keeps <see cref="TimeProvider.System"/>.
/// </summary>
internal sealed class SeedClock : TimeProvider
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1733739084);
    private readonly long _startedAt = System.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => Start + System.GetElapsedTime(_startedAt);
}

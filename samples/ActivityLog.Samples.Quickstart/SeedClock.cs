namespace ActivityLog.Samples.Quickstart;

/// <summary>
/// A clock that reads the moment of the documentation's example payload (Unix time 1733739084) the first time it is
/// asked, and runs normally from there, so the printed payload is byte for byte the one in the docs however long the
/// host took to start. A real app keeps <see cref="TimeProvider.System"/>.
/// </summary>
internal sealed class SeedClock : TimeProvider
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1733739084);
    private long _startedAt;

    public override DateTimeOffset GetUtcNow()
    {
        long now = System.GetTimestamp();
        long startedAt = Interlocked.CompareExchange(ref _startedAt, now, 0);
        return Start + System.GetElapsedTime(startedAt == 0 ? now : startedAt, now);
    }
}

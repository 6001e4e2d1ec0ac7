namespace ActivityLog.Testing.Tests.Support;

/// <summary>
/// Every test that calls <see cref="SnapshotAssert.Matches"/>: they set and read the process-wide
/// <c>ACTIVITYLOG_ACCEPT_SNAPSHOTS</c> variable, so they run one at a time and apart from every other test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SnapshotFiles
{
    public const string Name = "Snapshot files";
}

namespace ActivityLog.Testing.Tests.Support;

/// <summary>
/// A fresh directory under the system temp folder standing in for a test file's folder, so that
/// <see cref="SnapshotAssert"/> never touches the repository. Deleted on dispose.
/// </summary>
internal sealed class TempSnapshotDirectory : IDisposable
{
    public TempSnapshotDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"));
        SourceFile = Path.Combine(Root, "FakeTests.cs");
        Snapshots = Path.Combine(Root, "Snapshots");
    }

    /// <summary>The directory (not created until something writes into it).</summary>
    public string Root { get; }

    /// <summary>The path passed as <c>sourceFile</c>: a test file that does not exist, inside <see cref="Root"/>.</summary>
    public string SourceFile { get; }

    /// <summary>Where <see cref="SnapshotAssert"/> looks for and writes snapshots.</summary>
    public string Snapshots { get; }

    public string Verified(string name) => Path.Combine(Snapshots, name + ".verified.json");

    public string Received(string name) => Path.Combine(Snapshots, name + ".received.json");

    public void WriteVerified(string name, string text)
    {
        Directory.CreateDirectory(Snapshots);
        File.WriteAllText(Verified(name), text);
    }

    public void WriteReceived(string name, string text)
    {
        Directory.CreateDirectory(Snapshots);
        File.WriteAllText(Received(name), text);
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}

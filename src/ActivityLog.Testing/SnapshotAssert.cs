using System.Runtime.CompilerServices;

namespace ActivityLog.Testing;

/// <summary>
/// A small file snapshot check for any test framework: compares text with a committed <c>NAME.verified.json</c> next
/// to the test file (in a <c>Snapshots</c> folder), writes <c>NAME.received.json</c> on a mismatch, and accepts only on
/// explicit opt-in (set the environment variable <c>ACTIVITYLOG_ACCEPT_SNAPSHOTS=1</c>, run, review the diff, commit).
/// </summary>
public static class SnapshotAssert
{
    /// <summary>The environment variable that, set to <c>1</c>, turns mismatches into accepted snapshots.</summary>
    public const string AcceptVariable = "ACTIVITYLOG_ACCEPT_SNAPSHOTS";

    /// <summary>Checks text against its verified snapshot.</summary>
    /// <param name="actual">The text, for example from <see cref="ActivitySnapshot.Render(IEnumerable{ActivityLogEvent}, ActivitySnapshotOptions?)"/>.</param>
    /// <param name="name">The snapshot's name, unique per test file (letters, digits, dots, dashes, underscores).</param>
    /// <param name="sourceFile">Filled in by the compiler: the calling test's file.</param>
    /// <exception cref="SnapshotMismatchException">No verified snapshot exists, or it differs.</exception>
    public static void Matches(string actual, string name, [CallerFilePath] string sourceFile = "")
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')))
        {
            throw new ArgumentException($"The snapshot name '{name}' may hold only letters, digits, dots, dashes and underscores.", nameof(name));
        }

        string directory = Path.Combine(Path.GetDirectoryName(sourceFile) ?? ".", "Snapshots");
        string verified = Path.Combine(directory, name + ".verified.json");
        string received = Path.Combine(directory, name + ".received.json");
        string normalized = Normalize(actual);

        if (File.Exists(verified) && Normalize(File.ReadAllText(verified)) == normalized)
        {
            File.Delete(received);
            return;
        }

        Directory.CreateDirectory(directory);
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            File.WriteAllText(verified, normalized);
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, normalized);
        throw new SnapshotMismatchException(File.Exists(verified)
            ? $"Snapshot '{name}' differs from {verified}.\nReceived: {received}\n{FirstDifference(Normalize(File.ReadAllText(verified)), normalized)}\nReview the difference; to accept it, run with {AcceptVariable}=1."
            : $"Snapshot '{name}' has no verified file yet. Received: {received}\nReview it; to accept it, run with {AcceptVariable}=1 (or rename it to {Path.GetFileName(verified)}).");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";

    private static string FirstDifference(string expected, string actual)
    {
        // Both texts end with one newline after Normalize; drop it so the line count is the real one.
        string[] left = expected.TrimEnd('\n').Split('\n');
        string[] right = actual.TrimEnd('\n').Split('\n');
        for (int i = 0; i < Math.Max(left.Length, right.Length); i++)
        {
            string l = i < left.Length ? left[i] : "<end of file>";
            string r = i < right.Length ? right[i] : "<end of file>";
            if (l != r)
            {
                return $"First difference at line {i + 1}:\n  verified: {l}\n  received: {r}";
            }
        }

        return "The files differ in trailing white space only.";
    }
}

/// <summary>Thrown by <see cref="SnapshotAssert"/> when text differs from its verified snapshot.</summary>
public sealed class SnapshotMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SnapshotMismatchException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What differs and where the received file is.</param>
    public SnapshotMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What differs.</param>
    /// <param name="innerException">The cause.</param>
    public SnapshotMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

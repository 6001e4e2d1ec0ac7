namespace ActivityLog.Testing.Tests.Support;

/// <summary>Sets an environment variable for the scope's lifetime and restores the previous value on dispose.</summary>
internal sealed class EnvironmentVariableScope : IDisposable
{
    private readonly string _name;
    private readonly string? _previous;

    private EnvironmentVariableScope(string name, string? value)
    {
        _name = name;
        _previous = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    /// <summary>Turns snapshot acceptance on (<c>1</c>) or off (<see langword="null"/>) regardless of the shell's setting.</summary>
    public static EnvironmentVariableScope AcceptSnapshots(bool accept) => AcceptSnapshots(accept ? "1" : null);

    /// <summary>Sets the acceptance variable to any value, or removes it (<see langword="null"/>).</summary>
    public static EnvironmentVariableScope AcceptSnapshots(string? value) => new(SnapshotAssert.AcceptVariable, value);

    public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
}

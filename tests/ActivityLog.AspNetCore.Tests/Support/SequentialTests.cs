namespace ActivityLog.AspNetCore.Tests.Support;

/// <summary>Tests that must not run beside others (they listen to process-wide diagnostics).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SequentialTests
{
    public const string Name = "Sequential";
}

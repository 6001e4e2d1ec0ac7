namespace ActivityLog;

/// <summary>Ready-made gates.</summary>
internal static class ActivityLogGates
{
    /// <summary>Every account records (the default).</summary>
    public static IActivityLogGate AllowAll { get; } = new DelegateGate(static (_, _) => ValueTask.FromResult(true));

    /// <summary>A gate from a delegate, for example a lookup of the account's plan.</summary>
    /// <param name="isEnabled">Returns whether an account records.</param>
    /// <returns>The gate.</returns>
    public static IActivityLogGate FromDelegate(Func<string?, CancellationToken, ValueTask<bool>> isEnabled)
    {
        ArgumentNullException.ThrowIfNull(isEnabled);
        return new DelegateGate(isEnabled);
    }

    private sealed class DelegateGate(Func<string?, CancellationToken, ValueTask<bool>> isEnabled) : IActivityLogGate
    {
        public ValueTask<bool> IsEnabledAsync(string? accountId, CancellationToken cancellationToken) => isEnabled(accountId, cancellationToken);
    }
}

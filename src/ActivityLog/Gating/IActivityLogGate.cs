namespace ActivityLog;

/// <summary>
/// Decides per account whether activities are recorded at all: the plan rule "events start saving the moment you
/// upgrade". An account that is not enabled records nothing, and no sink sees its events.
/// </summary>
/// <remarks>
/// Called by the pipeline off the recording path, at most once per account per batch, so a lookup may do I/O.
/// It must be thread-safe. When it throws, the batch's events for that account are kept (a gate failure never loses an
/// event) and the failure is logged.
/// </remarks>
public interface IActivityLogGate
{
    /// <summary>Whether an account records activities.</summary>
    /// <param name="accountId">The account, or <see langword="null"/> for events recorded without one.</param>
    /// <param name="cancellationToken">Cancelled on shutdown.</param>
    /// <returns><see langword="true"/> to record the account's events.</returns>
    ValueTask<bool> IsEnabledAsync(string? accountId, CancellationToken cancellationToken);
}

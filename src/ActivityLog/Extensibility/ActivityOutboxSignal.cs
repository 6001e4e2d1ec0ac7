using ActivityLog.Extensibility;
namespace ActivityLog.Extensibility;

/// <summary>
/// Wakes delivery workers in this process when a store has committed new outbox deliveries, so that they need not poll
/// hot; workers still poll at an interval for deliveries written by other processes. Registered as a singleton by
/// <c>AddActivityLog()</c>.
/// </summary>
/// <example>
/// A worker reads <see cref="Version"/> before it looks for work, so that a notification that arrives while it looks
/// is not missed:
/// <code>
/// long seen = signal.Version;
/// if (await outbox.ClaimAsync(destination, claim, ct) is { } batch) { ... continue; }
/// await signal.WaitAsync(seen, pollInterval, timeProvider, ct);
/// </code>
/// </example>
internal sealed class ActivityOutboxSignal
{
    private long _version;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Grows by one with every <see cref="Notify"/>.</summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>Called by a store after a transaction with outbox deliveries committed: wakes every current waiter.</summary>
    public void Notify()
    {
        // Version first, then the swap: a waiter that read the old task before checking the version is woken by it.
        Interlocked.Increment(ref _version);
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        Notified?.Invoke();
    }

    /// <summary>Raised by every <see cref="Notify"/>, on the notifying thread: keep handlers tiny (set a flag, complete a task).</summary>
    public event Action? Notified;

    /// <summary>
    /// Waits until <see cref="Version"/> differs from <paramref name="seenVersion"/> (at once if it already does) or until
    /// <paramref name="timeout"/> has passed on <paramref name="timeProvider"/>, whichever comes first.
    /// </summary>
    /// <param name="seenVersion">The <see cref="Version"/> read before the caller last looked for work.</param>
    /// <param name="timeout">The longest wait (the poll interval).</param>
    /// <param name="timeProvider">The clock the timeout runs on.</param>
    /// <param name="cancellationToken">Ends the wait early with <see cref="OperationCanceledException"/>.</param>
    /// <returns><see langword="true"/> when notified, <see langword="false"/> when the timeout passed.</returns>
    public async Task<bool> WaitAsync(long seenVersion, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        Task notified = Volatile.Read(ref _next).Task;
        if (Version != seenVersion)
        {
            return true;
        }

        try
        {
            await notified.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}

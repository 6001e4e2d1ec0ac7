namespace ActivityLog;

/// <summary>
/// Where processed activities go: a store, a webhook emitter, a test capture. Register one with
/// <c>services.AddActivityLog().AddSink&lt;T&gt;()</c>.
/// </summary>
/// <remarks>
/// <para>
/// The contract is deliberately small. The core owns queueing, batching, retry with back-off and shutdown: a sink
/// writes the batch it is given and lets exceptions propagate; the whole batch is then retried, so a sink must be
/// idempotent on <see cref="ActivityEvent.Id"/> or accept duplicates. Events arrive redacted and described.
/// </para>
/// <para>
/// The list is reused after the returned task completes: copy what you keep. Sinks are called one batch at a time,
/// never concurrently with themselves; a sink whose transport is slow should buffer on its own so that it does not
/// hold back the other sinks.
/// </para>
/// </remarks>
public interface IActivitySink
{
    /// <summary>Writes a batch of processed events.</summary>
    /// <param name="batch">The events, oldest first; never empty.</param>
    /// <param name="cancellationToken">Cancelled when the host stops and the drain timeout has passed.</param>
    /// <returns>A task that completes when the batch is durable (or delivered) as far as this sink promises.</returns>
    Task WriteBatchAsync(IReadOnlyList<ActivityEvent> batch, CancellationToken cancellationToken);
}

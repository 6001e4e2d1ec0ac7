namespace ActivityLog.Extensibility;

/// <summary>
/// Where processed activities go: a store, a webhook emitter, a test capture. Register one with
/// <c>services.AddActivityLog().AddSink&lt;T&gt;()</c>.
/// </summary>
/// <remarks>
/// <para>
/// The contract is deliberately small. The core owns queueing, batching, retry with back-off and shutdown: a sink
/// writes the batch it is given and lets exceptions propagate; the whole batch is then retried, so a sink must be
/// idempotent on <see cref="ActivityLogEvent.Id"/> or accept duplicates. Events arrive redacted and described.
/// </para>
/// <para>
/// When a batch fails because of what an event holds (a value the store cannot hold, a constraint the row breaks) rather
/// than because the sink is unavailable, throw <see cref="ActivityLogEventRejectedException"/>: the core then splits the
/// batch until that event is alone, writes the rest, and puts the event into the <see cref="IActivityQuarantine"/>,
/// instead of retrying and finally dropping the whole batch.
/// </para>
/// <para>
/// Each sink has its own queue and loop: it is called one batch at a time, never concurrently with itself, and a sink
/// that is slow or failing holds back only itself. The list is never reused, and the same events go to every sink:
/// treat them as read-only.
/// </para>
/// </remarks>
public interface IActivitySink
{
    /// <summary>Writes a batch of processed events.</summary>
    /// <param name="batch">The events, oldest first; never empty.</param>
    /// <param name="cancellationToken">Cancelled when the host stops and the drain timeout has passed.</param>
    /// <returns>A task that completes when the batch is durable (or delivered) as far as this sink promises.</returns>
    Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken);
}

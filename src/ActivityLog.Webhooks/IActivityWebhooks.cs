using ActivityLog.Extensibility;

namespace ActivityLog.Webhooks;

/// <summary>
/// Operates the webhook endpoints at run time: dead letters, redelivery, queue depth, re-enabling an endpoint that
/// answered 410 Gone. Registered as a singleton by <c>AddWebhooks</c>; thread-safe.
/// </summary>
public interface IActivityWebhooks
{
    /// <summary>The names of the enabled endpoints.</summary>
    IReadOnlyList<string> Endpoints { get; }

    /// <summary>Lists dead-lettered batches, oldest first, without their events.</summary>
    /// <param name="endpoint">Only this endpoint's, or <see langword="null"/> for all.</param>
    /// <param name="limit">The most to return (1 to 1,000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dead letters; <see cref="ActivityOutboxDeadLetter.Destination"/> is <c>webhooks:&lt;endpoint&gt;</c>.</returns>
    /// <exception cref="ArgumentException">The endpoint is not configured.</exception>
    Task<IReadOnlyList<ActivityOutboxDeadLetter>> ListDeadLettersAsync(string? endpoint = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Makes a dead-lettered batch due again now, with the same <c>webhook-id</c> and events and a fresh retry schedule.</summary>
    /// <param name="batchId">The dead letter's <see cref="ActivityOutboxDeadLetter.BatchId"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when such a dead letter existed.</returns>
    Task<bool> RedeliverAsync(Guid batchId, CancellationToken cancellationToken = default);

    /// <summary>The number of events waiting for an endpoint (batched or not, dead letters excluded).</summary>
    /// <param name="endpoint">The endpoint name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    /// <exception cref="ArgumentException">The endpoint is not configured.</exception>
    Task<long> CountPendingAsync(string endpoint, CancellationToken cancellationToken = default);

    /// <summary>Whether an endpoint was disabled by a 410 Gone answer (its work is kept, nothing is sent).</summary>
    /// <param name="endpoint">The endpoint name.</param>
    /// <returns><see langword="true"/> when disabled.</returns>
    /// <exception cref="ArgumentException">The endpoint is not configured.</exception>
    bool IsDisabled(string endpoint);

    /// <summary>Resumes an endpoint disabled by a 410 Gone answer; its kept work is sent again.</summary>
    /// <param name="endpoint">The endpoint name.</param>
    /// <exception cref="ArgumentException">The endpoint is not configured.</exception>
    void Enable(string endpoint);
}

using System.Globalization;
using ActivityLog.Extensibility;
using ActivityLog.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActivityLog.Health;

/// <summary>
/// Reports the pipeline and the deliveries: a failing sink (or a stopped dispatcher) is the registration's failure
/// status; a queue near capacity, drops, quarantined events, an old outbox backlog or dead letters are Degraded.
/// Counts go in <see cref="HealthCheckResult.Data"/>; no event content ever does.
/// </summary>
internal sealed class ActivityLogHealthCheck(
    ActivityDispatcher dispatcher,
    ActivityLogHealthCheckOptions options,
    IServiceProvider services,
    TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var failures = new List<string>();
        var degradations = new List<string>();

        if (!dispatcher.IsRunning)
        {
            failures.Add("the dispatcher is not running");
        }

        var failing = dispatcher.FailingSinks;
        data["sinks.failing"] = failing.Count;
        if (failing.Count > 0)
        {
            data["sinks.failing.names"] = string.Join(", ", failing);
            failures.Add($"sink(s) failing: {string.Join(", ", failing)}");
        }

        var queue = dispatcher.Queue;
        int depth = queue.Count;
        data["queue.depth"] = depth;
        data["queue.capacity"] = queue.Capacity;
        if (depth > options.QueueDegradedRatio * queue.Capacity)
        {
            degradations.Add(string.Create(CultureInfo.InvariantCulture, $"the queue is {100.0 * depth / queue.Capacity:0.#} % full"));
        }

        long dropped = queue.DroppedCount;
        data["events.dropped"] = dropped;
        foreach (var (reason, count) in queue.DroppedByReason.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data["events.dropped." + reason] = count;
        }

        if (dropped > options.DroppedEventsTolerated)
        {
            degradations.Add($"{dropped} event(s) dropped since start");
        }

        long quarantined = dispatcher.QuarantinedCount;
        data["events.quarantined"] = quarantined;
        if (quarantined > options.QuarantinedEventsTolerated)
        {
            degradations.Add($"{quarantined} event(s) quarantined since start");
        }

        Exception? outboxFailure = null;
        try
        {
            await CheckOutboxesAsync(data, degradations, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // An outbox that cannot be read (its database is down) is the check's failure, not a crash.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            outboxFailure = exception;
            failures.Add("the outbox could not be read");
        }

        if (failures.Count > 0)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, Describe(failures.Concat(degradations)), outboxFailure, data);
        }

        return degradations.Count > 0
            ? HealthCheckResult.Degraded(Describe(degradations), data: data)
            : HealthCheckResult.Healthy("ActivityLog is healthy.", data);
    }

    private static string Describe(IEnumerable<string> problems) => "ActivityLog: " + string.Join("; ", problems) + ".";

    private async Task CheckOutboxesAsync(Dictionary<string, object> data, List<string> degradations, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var (outbox, destinations) in Outboxes())
        {
            foreach (string destination in destinations)
            {
                var status = await outbox.GetStatusAsync(destination, cancellationToken).ConfigureAwait(false);
                string key = "outbox." + destination;
                data[key + ".pending"] = status.Pending;
                data[key + ".dead_letters"] = status.DeadLetters;
                if (status.OldestPendingAt is { } oldest)
                {
                    var age = now - oldest;
                    data[key + ".oldest_pending_seconds"] = Math.Max(0, Math.Round(age.TotalSeconds, 1));
                    if (age > options.OutboxBacklogAgeDegraded)
                    {
                        degradations.Add($"the oldest delivery for {destination} waits since {oldest:O}");
                    }
                }

                if (status.DeadLetters > options.DeadLettersTolerated)
                {
                    degradations.Add($"{status.DeadLetters} dead-lettered batch(es) for {destination}");
                }
            }
        }
    }

    private IEnumerable<(IActivityOutbox Outbox, IEnumerable<string> Destinations)> Outboxes()
    {
        var sources = services.GetServices<IActivityOutboxHealthSource>().ToList();
        if (sources.Count > 0)
        {
            return sources.Select(s => (s.Outbox, (IEnumerable<string>)s.Destinations));
        }

        var outbox = services.GetServices<IActivityOutbox>().LastOrDefault();
        if (outbox is null)
        {
            return [];
        }

        var destinations = services.GetServices<IActivityOutboxSubscriber>().Select(s => s.Destination).Distinct(StringComparer.Ordinal);
        return [(outbox, destinations)];
    }
}

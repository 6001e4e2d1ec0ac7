using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ActivityLog.Internal;

/// <summary>
/// The pipeline's instruments on the <c>ActivityLog</c> meter. Nothing here runs per <c>Record</c> call: counts are
/// added per batch or per drop.
/// </summary>
internal sealed class ActivityLogMetrics : IDisposable
{
    public const string MeterName = ActivityLogDiagnostics.MeterName;

    private readonly Counter<long> _processed;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _gated;
    private readonly Counter<long> _sinkFailures;
    private readonly Counter<long> _quarantined;
    private readonly Counter<long> _repaired;
    private readonly Counter<long> _maskedWhole;

    private readonly Meter? _ownMeter;

    /// <param name="meterFactory">The host's meter factory; <see langword="null"/> (no metrics registered) uses a meter of its own.</param>
    /// <param name="queueDepth">Reads the queue's depth for the gauge.</param>
    public ActivityLogMetrics(IMeterFactory? meterFactory, Func<int> queueDepth)
    {
        var meter = meterFactory?.Create(MeterName) ?? (_ownMeter = new Meter(MeterName));
        _processed = meter.CreateCounter<long>("activitylog.events.processed", "{event}", "Events that went through the pipeline.");
        _delivered = meter.CreateCounter<long>("activitylog.events.delivered", "{event}", "Events a sink accepted, per sink.");
        _dropped = meter.CreateCounter<long>("activitylog.events.dropped", "{event}", "Events lost, per reason: queue_full, stopped, sink_queue_full, sink_failed, shutdown, pipeline_failed, quarantine_full, quarantine_failed, missing_account.");
        _gated = meter.CreateCounter<long>("activitylog.events.gated", "{event}", "Events not recorded because their account is not enabled.");
        _sinkFailures = meter.CreateCounter<long>("activitylog.sink.failures", "{attempt}", "Failed sink attempts, per sink.");
        _quarantined = meter.CreateCounter<long>("activitylog.events.quarantined", "{event}", "Events a sink rejected for good, kept in the quarantine, per sink.");
        _repaired = meter.CreateCounter<long>("activitylog.values.repaired", "{value}", "Values of events not recorded through Record (captured changes) that were repaired or cut to be storable.");
        _maskedWhole = meter.CreateCounter<long>("activitylog.values.masked_whole", "{value}", "Plain objects written as the redaction mask whole because their members cannot be inspected (trimmed or native AOT app, type not registered with AddSensitiveProperties<T>()).");
        meter.CreateObservableGauge("activitylog.queue.depth", queueDepth, "{event}", "Events waiting for the dispatcher.");
    }

    /// <summary>Disposes the meter of its own, if any; a factory's meters are the factory's to dispose.</summary>
    public void Dispose() => _ownMeter?.Dispose();

    public void Processed(int count) => _processed.Add(count);

    public void Delivered(int count, string sink) => _delivered.Add(count, new KeyValuePair<string, object?>("sink", sink));

    public void Dropped(long count, string reason, string? sink = null)
    {
        var tags = new TagList { { "reason", reason } };
        if (sink is not null)
        {
            tags.Add("sink", sink);
        }

        _dropped.Add(count, tags);
    }

    public void Gated(int count) => _gated.Add(count);

    public void Quarantined(string sink) => _quarantined.Add(1, new KeyValuePair<string, object?>("sink", sink));

    public void Repaired(int count) => _repaired.Add(count);

    /// <summary>Counted at Record, but only for a value that fails closed: never on the path of a well-formed event.</summary>
    public void MaskedWhole() => _maskedWhole.Add(1);

    public void SinkFailed(string sink) => _sinkFailures.Add(1, new KeyValuePair<string, object?>("sink", sink));
}

/// <summary>The reasons tagged on <c>activitylog.events.dropped</c>.</summary>
internal static class DropReasons
{
    public const string QueueFull = "queue_full";
    public const string Stopped = "stopped";
    public const string SinkFailed = "sink_failed";
    public const string Shutdown = "shutdown";
    public const string PipelineFailed = "pipeline_failed";
    public const string SinkQueueFull = "sink_queue_full";
    public const string QuarantineFull = "quarantine_full";
    public const string QuarantineFailed = "quarantine_failed";
    public const string MissingAccount = "missing_account";
}

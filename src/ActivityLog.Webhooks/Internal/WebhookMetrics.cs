using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ActivityLog.Webhooks.Internal;

/// <summary>The instruments on the <c>ActivityLog.Webhooks</c> meter, tagged with the endpoint name.</summary>
internal sealed class WebhookMetrics
{
    public const string MeterName = ActivityLogDiagnostics.WebhooksMeterName;

    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _eventsDelivered;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _disabled;
    private readonly ConcurrentDictionary<string, Func<long>> _depths = new(StringComparer.Ordinal);

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _deliveries = meter.CreateCounter<long>("activitylog.webhooks.deliveries", "{request}", "Batches an endpoint accepted (2xx).");
        _eventsDelivered = meter.CreateCounter<long>("activitylog.webhooks.events.delivered", "{event}", "Events in batches an endpoint accepted.");
        _failures = meter.CreateCounter<long>("activitylog.webhooks.failures", "{request}", "Failed attempts, per endpoint and reason (status code, timeout, connection).");
        _retries = meter.CreateCounter<long>("activitylog.webhooks.retries", "{request}", "Failed attempts scheduled for another try.");
        _deadLetters = meter.CreateCounter<long>("activitylog.webhooks.dead_letters", "{batch}", "Batches dead-lettered (last attempt failed, or refused for good).");
        _dropped = meter.CreateCounter<long>("activitylog.webhooks.events.dropped", "{event}", "Events lost without a store: queue_full or shutdown.");
        _disabled = meter.CreateCounter<long>("activitylog.webhooks.endpoints.disabled", "{endpoint}", "Endpoints disabled by a 410 Gone answer.");
        meter.CreateObservableGauge("activitylog.webhooks.queue.depth", ObserveDepths, "{event}", "Events waiting per endpoint, dead letters excluded.");
    }

    public void TrackDepth(string endpoint, Func<long> depth) => _depths[endpoint] = depth;

    public void Delivered(string endpoint, int events)
    {
        var tag = Endpoint(endpoint);
        _deliveries.Add(1, tag);
        _eventsDelivered.Add(events, tag);
    }

    public void Failed(string endpoint, string reason) => _failures.Add(1, new TagList { { "endpoint", endpoint }, { "reason", reason } });

    public void Retrying(string endpoint) => _retries.Add(1, Endpoint(endpoint));

    public void DeadLettered(string endpoint) => _deadLetters.Add(1, Endpoint(endpoint));

    public void Dropped(string endpoint, long count, string reason) => _dropped.Add(count, new TagList { { "endpoint", endpoint }, { "reason", reason } });

    public void Disabled(string endpoint) => _disabled.Add(1, Endpoint(endpoint));

    private static KeyValuePair<string, object?> Endpoint(string endpoint) => new("endpoint", endpoint);

    private IEnumerable<Measurement<long>> ObserveDepths()
    {
        foreach (var (endpoint, depth) in _depths)
        {
            yield return new Measurement<long>(depth(), Endpoint(endpoint));
        }
    }
}

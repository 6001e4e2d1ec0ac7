using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ActivityLog.Delivery;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Signing;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>
/// One delivery slot of the engine's bounded pool: claims a destination's batch, signs and sends it, and records the
/// outcome in the outbox (complete, retry later, dead-letter). A slot serves one destination at a time and any
/// destination over its life; its buffers are reused, so a delivery allocates little beyond the request.
/// </summary>
internal sealed partial class WebhookDelivery
{
    private readonly IActivityOutbox _outbox;
    private readonly InMemoryActivityOutbox? _memory;
    private readonly IHttpClientFactory _clients;
    private readonly ActivityWebhookOptions _options;
    private readonly IReadOnlyList<TimeSpan> _delays;
    private readonly TimeProvider _time;
    private readonly WebhookMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _body = new(16 * 1024);

    // Events serialized while the outbox measured them for the byte limit, reused for the body: one serialization per
    // event. Only this slot's claim calls the measure, and it completes before the body is written.
    private readonly ArrayBufferWriter<byte> _measuredJson = new(16 * 1024);
    private readonly Dictionary<ActivityLogEvent, (int Start, int Length, string? Error)> _measured = new(ReferenceEqualityComparer.Instance);
    private readonly Func<ActivityLogEvent, int> _measure;
    private WebhookTarget _target = null!;
    private Utf8JsonWriter? _writer;
    private ActivityJsonFields _writerFields;

    public WebhookDelivery(IActivityOutbox outbox, InMemoryActivityOutbox? memory, IHttpClientFactory clients, ActivityWebhookOptions options, TimeProvider time, WebhookMetrics metrics, ILogger logger)
    {
        _outbox = outbox;
        _memory = memory;
        _clients = clients;
        _options = options;
        _delays = options.EffectiveRetryDelays;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _measure = Measure;
    }

    /// <summary>Claims the target's next due batch and delivers it; <see langword="null"/> when nothing was due.</summary>
    public async Task<DeliveryResult?> DeliverNextAsync(WebhookTarget target, CancellationToken abort)
    {
        _target = target;
        _measuredJson.ResetWrittenCount();
        _measured.Clear();
        var batch = await _outbox.ClaimAsync(target.Destination, target.Claim with { MeasureBytes = _measure }, abort).ConfigureAwait(false);
        return batch is null ? null : await DeliverAsync(target, batch, abort).ConfigureAwait(false);
    }

    /// <summary>Sends one batch and records the outcome in the outbox.</summary>
    internal async Task<DeliveryResult> DeliverAsync(WebhookTarget target, ActivityOutboxBatch batch, CancellationToken abort)
    {
        _target = target;
        string webhookId = WebhookId(batch.Id);
        var startedAt = _time.GetUtcNow();
        _body.ResetWrittenCount();
        if (WriteBody(batch.Events) is { } unserializable)
        {
            // Permanent, not transient: the same event fails the same way on every attempt, and would hold back the target.
            if (await IsolateAsync(batch, webhookId, unserializable, abort).ConfigureAwait(false) is not { } rest)
            {
                return new DeliveryResult(OutcomeKind.Permanent, webhookId, batch.Attempt + 1, batch.Events.Count, 0, "serialization", null, startedAt, TimeSpan.Zero);
            }

            batch = rest;
        }

        var body = _body.WrittenMemory;
        using var span = StartAttemptSpan(batch, webhookId);
        long started = Stopwatch.GetTimestamp();
        var outcome = await SendAsync(target, webhookId, body, abort).ConfigureAwait(false);
        var duration = Stopwatch.GetElapsedTime(started);
        TagOutcome(span, outcome, batch.Attempt + 1 >= _delays.Count);
        var now = _time.GetUtcNow();
        var result = new DeliveryResult(outcome.Kind, webhookId, batch.Attempt + 1, batch.Events.Count, outcome.Status, outcome.Reason, outcome.Excerpt, startedAt, duration);
        switch (outcome.Kind)
        {
            case OutcomeKind.Delivered:
                await _outbox.CompleteAsync(batch, abort).ConfigureAwait(false);
                Log.Delivered(_logger, target.Name, webhookId, batch.Events.Count, outcome.Status);
                _metrics.Delivered(target.MetricName, batch.Events.Count);
                return result;

            case OutcomeKind.Gone:
                // Keep the work: a 410 stops this target, it does not throw its events away.
                target.Disable();
                await _outbox.RetryLaterAsync(batch, now, outcome.Reason, abort).ConfigureAwait(false);
                Log.EndpointGone(_logger, target.Name);
                _metrics.Failed(target.MetricName, outcome.MetricReason);
                _metrics.Disabled(target.MetricName);
                return result;

            case OutcomeKind.Permanent:
                _metrics.Failed(target.MetricName, outcome.MetricReason);
                await DeadLetterAsync(batch, webhookId, outcome.Reason, abort).ConfigureAwait(false);
                return result;

            default:
                _metrics.Failed(target.MetricName, outcome.MetricReason);
                int next = batch.Attempt + 1;
                if (next >= _delays.Count)
                {
                    await DeadLetterAsync(batch, webhookId, outcome.Reason, abort).ConfigureAwait(false);
                    return result with { Kind = OutcomeKind.Permanent };
                }

                var delay = _delays[next];
                if (outcome.RetryAfter is { } retryAfter && retryAfter > delay)
                {
                    delay = retryAfter > _options.MaxRetryAfter ? _options.MaxRetryAfter : retryAfter;
                }

                var retryAt = now + delay;
                await _outbox.RetryLaterAsync(batch, retryAt, outcome.Reason, abort).ConfigureAwait(false);
                // Log first, count second: whoever waits on the metric finds the log line written.
                Log.Retrying(_logger, target.Name, batch.Attempt + 1, webhookId, batch.Events.Count, outcome.Reason, retryAt);
                _metrics.Retrying(target.MetricName);
                return result;
        }
    }

    /// <summary>Signs and sends a body once, outside the outbox (a test event): the outcome only.</summary>
    public async Task<DeliveryResult> SendOnceAsync(WebhookTarget target, string webhookId, IReadOnlyList<ActivityLogEvent> events, CancellationToken abort)
    {
        _target = target;
        _measuredJson.ResetWrittenCount();
        _measured.Clear();
        _body.ResetWrittenCount();
        WriteBody(events);
        var startedAt = _time.GetUtcNow();
        long started = Stopwatch.GetTimestamp();
        var outcome = await SendAsync(target, webhookId, _body.WrittenMemory, abort).ConfigureAwait(false);
        return new DeliveryResult(outcome.Kind, webhookId, 1, events.Count, outcome.Status, outcome.Reason, outcome.Excerpt, startedAt, Stopwatch.GetElapsedTime(started));
    }

    public static string WebhookId(Guid batchId) => "msg_" + batchId.ToString("N");

    private async Task DeadLetterAsync(ActivityOutboxBatch batch, string webhookId, string reason, CancellationToken abort)
    {
        await _outbox.DeadLetterAsync(batch, reason, abort).ConfigureAwait(false);
        Log.DeadLettered(_logger, _target.Name, webhookId, batch.Events.Count, batch.Attempt + 1, reason);
        _metrics.DeadLettered(_target.MetricName);
    }

    /// <summary>
    /// Sets aside the events of <paramref name="batch"/> that cannot be serialized: dead-lettered on their own (in
    /// memory) and counted and logged, so the others go out as the batch. A store's outbox cannot split a batch, so
    /// there the whole batch is dead-lettered (its events were read back from JSON, so this should not happen there).
    /// </summary>
    /// <returns>The batch of the remaining events, or <see langword="null"/> when nothing is left to send.</returns>
    private async Task<ActivityOutboxBatch?> IsolateAsync(ActivityOutboxBatch batch, string webhookId, List<(ActivityLogEvent Event, string Error)> failed, CancellationToken abort)
    {
        // The reason names the event and the error type, never a value: the event's data may be sensitive.
        string reason = failed.Count == 1
            ? $"event {failed[0].Event.Id} ({failed[0].Event.Name}) could not be serialized ({failed[0].Error}); not retried"
            : $"{failed.Count} events could not be serialized ({string.Join(", ", failed.Select(f => $"{f.Event.Id}: {f.Error}"))}); not retried";
        foreach (var (activity, error) in failed)
        {
            Log.Unserializable(_logger, _target.Name, activity.Id, activity.Name, error, webhookId);
        }

        _metrics.Failed(_target.MetricName, "serialization");
        if (_memory is null || failed.Count == batch.Events.Count)
        {
            await DeadLetterAsync(batch, webhookId, reason, abort).ConfigureAwait(false);
            return null;
        }

        var (rest, deadId) = _memory.DeadLetterEvents(batch, [.. failed.Select(f => f.Event)], reason);
        Log.DeadLettered(_logger, _target.Name, WebhookId(deadId), failed.Count, batch.Attempt + 1, reason);
        _metrics.DeadLettered(_target.MetricName);
        return rest;
    }

    private Utf8JsonWriter Writer()
    {
        if (_writer is null || _writerFields != _target.Fields)
        {
            _writer = WebhookPayloadWriter.CreateWriter(_measuredJson, _target.Fields);
            _writerFields = _target.Fields;
        }

        return _writer;
    }

    /// <summary>
    /// Serializes one event into <see cref="_measuredJson"/> and remembers where; an event that cannot be serialized
    /// (a <c>JsonValue</c> holding NaN, say) is remembered as such and measured as one byte, so that the claim still
    /// takes it and the slot can set it aside instead of failing the claim for good.
    /// </summary>
    private int Measure(ActivityLogEvent activity)
    {
        int start = _measuredJson.WrittenCount;
        var writer = Writer();
        try
        {
            writer.Reset(_measuredJson);
            ActivityJsonSerializer.Write(writer, activity, _target.Fields);
            writer.Flush();
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            // Bytes a failed write left behind lie outside every recorded range: harmless.
            _measured[activity] = (0, 0, exception.GetType().Name);
            return 1;
        }

        int length = _measuredJson.WrittenCount - start;
        _measured[activity] = (start, length, null);
        return length + 1; // the comma or newline that separates it
    }

    /// <summary>
    /// The body in the target's format: <c>{"events":[…]}</c> byte for byte as
    /// <see cref="ActivityJsonSerializer.WritePayload"/> writes it, or one event a line. Each event is serialized on its
    /// own (measured by this claim, or now for a retried batch) and copied, so an event that cannot be serialized is
    /// left out whole; those are returned (with the error's type), else <see langword="null"/>.
    /// </summary>
    private List<(ActivityLogEvent Event, string Error)>? WriteBody(IReadOnlyList<ActivityLogEvent> events)
    {
        bool json = _target.Format == WebhookPayloadFormat.Json;
        List<(ActivityLogEvent, string)>? unserializable = null;
        if (json)
        {
            _body.Write("{\"events\":["u8);
        }

        int written = 0;
        for (int i = 0; i < events.Count; i++)
        {
            if (!_measured.TryGetValue(events[i], out var range))
            {
                Measure(events[i]);
                range = _measured[events[i]];
            }

            if (range.Error is { } error)
            {
                (unserializable ??= []).Add((events[i], error));
                continue;
            }

            if (json && written > 0)
            {
                _body.Write(","u8);
            }

            _body.Write(_measuredJson.WrittenSpan.Slice(range.Start, range.Length));
            written++;
            if (!json)
            {
                _body.Write("\n"u8);
            }
        }

        if (json)
        {
            _body.Write("]}"u8);
        }

        return unserializable;
    }
}

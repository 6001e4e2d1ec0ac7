using ActivityLog.Delivery;
using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using ActivityLog.Diagnostics;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Signing;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace ActivityLog.Webhooks.Delivery;

/// <summary>
/// Delivers one endpoint's batches from the outbox: claim, sign, send, then complete, retry later or dead-letter.
/// One worker per endpoint, so a slow or dead endpoint holds back only itself.
/// </summary>
internal sealed partial class WebhookWorker
{
    private static readonly TimeSpan OutboxFailureDelay = TimeSpan.FromSeconds(5);

    /// <summary>The most batches claimed ahead from a store's outbox while a backlog exists.</summary>
    private const int MaxClaimedAhead = 32;

    private readonly WebhookEndpoint _endpoint;
    private readonly IActivityOutbox _outbox;
    private readonly InMemoryActivityOutbox? _memory;
    private readonly ActivityOutboxSignal _signal;
    private readonly IHttpClientFactory _clients;
    private readonly ActivityWebhookOptions _options;
    private readonly IReadOnlyList<TimeSpan> _delays;
    private readonly TimeProvider _time;
    private readonly WebhookMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _body = new(16 * 1024);
    private readonly string _contentType;
    private readonly ActivityOutboxClaim _claim;

    // Events serialized while the outbox measured them for the byte limit, reused for the body: one serialization per
    // event. Only this worker's claim calls the measure, and it completes before the body is written.
    private readonly ArrayBufferWriter<byte> _measuredJson = new(16 * 1024);
    private readonly Dictionary<ActivityLogEvent, (int Start, int Length, string? Error)> _measured = new(ReferenceEqualityComparer.Instance);
    private readonly Utf8JsonWriter _measureWriter;
    // A store's outbox with a backlog: a background loop claims batches ahead while this worker sends, so the claims'
    // round trips overlap the HTTP attempts. Still one batch in flight: batches are sent one after the other.
    private readonly Channel<ActivityOutboxBatch> _ahead = Channel.CreateBounded<ActivityOutboxBatch>(
        new BoundedChannelOptions(MaxClaimedAhead) { SingleReader = true, SingleWriter = true });
    private readonly ArrayBufferWriter<byte> _aheadJson = new(16 * 1024);
    private readonly Utf8JsonWriter _aheadWriter;
    private Task? _claimingAhead;
    private Task? _completing;
    private DateTimeOffset? _nextRetryAt;
    private DateTimeOffset _depthReadAt = DateTimeOffset.MinValue;
    private long _depth;

    public WebhookWorker(
        WebhookEndpoint endpoint,
        IActivityOutbox outbox,
        InMemoryActivityOutbox? memory,
        ActivityOutboxSignal signal,
        IHttpClientFactory clients,
        ActivityWebhookOptions options,
        TimeProvider time,
        WebhookMetrics metrics,
        ILogger logger)
    {
        _endpoint = endpoint;
        _outbox = outbox;
        _memory = memory; // the package's own outbox (its in-memory shortcuts apply), null for a store's
        _signal = signal;
        _clients = clients;
        _options = options;
        _delays = options.EffectiveRetryDelays;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _contentType = WebhookPayloadWriter.ContentType(endpoint.Options.Format);
        _measureWriter = WebhookPayloadWriter.CreateWriter(_measuredJson, endpoint.Options.Fields);
        _aheadWriter = WebhookPayloadWriter.CreateWriter(_aheadJson, endpoint.Options.Fields);
        // A store's claims may run in the background, beside this worker's body writing: they measure with a writer of
        // their own and keep nothing (the body serializes those events again).
        _claim = endpoint.Claim with { MeasureBytes = memory is null ? MeasureAhead : Measure };
        metrics.TrackDepth(endpoint.Name, () => _memory?.CountPending(endpoint.Destination) ?? Volatile.Read(ref _depth));
    }

    /// <summary>
    /// Runs until <paramref name="stopping"/> is cancelled or, when <paramref name="draining"/> says so, nothing is due.
    /// <paramref name="abort"/> cancels an HTTP attempt or outbox call in flight (the batch's lease then lapses).
    /// </summary>
    public async Task RunAsync(Func<bool> draining, CancellationToken stopping, CancellationToken abort)
    {
        ActivityLogTracing.DetachFromCaller();
        try
        {
            await RunLoopAsync(draining, stopping, abort).ConfigureAwait(false);
        }
        finally
        {
            // Batches claimed ahead and not sent keep their leases until they lapse; then they come back, same ids.
            if (_claimingAhead is { } claiming)
            {
                await claiming.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (_completing is { } completing)
            {
                await completing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task RunLoopAsync(Func<bool> draining, CancellationToken stopping, CancellationToken abort)
    {
        bool lastFull = false;
        while (!stopping.IsCancellationRequested)
        {
            long seen = _signal.Version;
            if (_endpoint.IsDisabled)
            {
                if (draining())
                {
                    return;
                }

                // Only a notification (Enable wakes the signal) or the poll interval: its due work must wait.
                try
                {
                    await _signal.WaitAsync(seen, _options.PollInterval, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            ActivityOutboxBatch? batch;
            try
            {
                await RefreshDepthAsync(abort).ConfigureAwait(false);
                batch = await NextBatchAsync(abort).ConfigureAwait(false);
                if (batch is null && _completing is { } pending)
                {
                    // The backlog is gone: the last completion must be durable (or fail here) before the worker idles.
                    _completing = null;
                    await pending.ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A store that is down must not end the worker: log, wait, try again.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.OutboxFailed(_logger, exception, _endpoint.Name, OutboxFailureDelay);
                await Task.Delay(OutboxFailureDelay, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            if (batch is null)
            {
                if (draining())
                {
                    return;
                }

                await WaitAsync(seen, lastFull, draining, stopping).ConfigureAwait(false);
                lastFull = false;
                continue;
            }

            lastFull = batch.Events.Count >= _endpoint.Options.MaxBatchEvents;
            if (lastFull && _memory is null && _claimingAhead is null)
            {
                // A full batch from a store's outbox means a backlog: claim the next ones while this one is sent.
                _claimingAhead = ClaimAheadAsync(stopping, abort);
            }

            try
            {
                await DeliverAsync(batch, abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // As above: the outcome could not be recorded; the lease lapses and the batch comes back.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.OutboxFailed(_logger, exception, _endpoint.Name, OutboxFailureDelay);
                await Task.Delay(OutboxFailureDelay, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Sends one batch and records the outcome in the outbox.</summary>
    internal async Task DeliverAsync(ActivityOutboxBatch batch, CancellationToken abort)
    {
        string webhookId = "msg_" + batch.Id.ToString("N");
        _body.ResetWrittenCount();
        if (WriteBody(batch.Events) is { } unserializable)
        {
            // Permanent, not transient: the same event fails the same way on every attempt, and would hold back the endpoint.
            if (await IsolateAsync(batch, webhookId, unserializable, abort).ConfigureAwait(false) is not { } rest)
            {
                return;
            }

            batch = rest;
        }

        var body = _body.WrittenMemory;

        // One span per attempt (the HTTP client's own span nests under it): where to, how big, what came back.
        using var span = StartAttemptSpan(batch, webhookId);
        var outcome = await SendAsync(webhookId, body, abort).ConfigureAwait(false);
        TagOutcome(span, outcome, batch.Attempt + 1 >= _delays.Count);
        var now = _time.GetUtcNow();
        switch (outcome.Kind)
        {
            case OutcomeKind.Delivered:
                var completing = CompleteAsync(batch, webhookId, outcome.Status, abort);
                if (_claimingAhead is null)
                {
                    await completing.ConfigureAwait(false);
                    return;
                }

                // A backlog: record this batch as delivered while the next one is sent (a failure surfaces with the
                // next completion, and the batch's lease lapses, so it comes back). One completion pending at a time.
                var previous = _completing;
                _completing = completing;
                if (previous is not null)
                {
                    await previous.ConfigureAwait(false);
                }

                return;

            case OutcomeKind.Gone:
                // Keep the work: a 410 stops this endpoint, it does not throw its events away.
                _endpoint.Disable();
                await _outbox.RetryLaterAsync(batch, now, outcome.Reason, abort).ConfigureAwait(false);
                Log.EndpointGone(_logger, _endpoint.Name);
                _metrics.Failed(_endpoint.Name, outcome.MetricReason);
                _metrics.Disabled(_endpoint.Name);
                return;

            case OutcomeKind.Permanent:
                _metrics.Failed(_endpoint.Name, outcome.MetricReason);
                await DeadLetterAsync(batch, webhookId, outcome.Reason, abort).ConfigureAwait(false);
                return;

            default:
                _metrics.Failed(_endpoint.Name, outcome.MetricReason);
                int next = batch.Attempt + 1;
                if (next >= _delays.Count)
                {
                    await DeadLetterAsync(batch, webhookId, outcome.Reason, abort).ConfigureAwait(false);
                    return;
                }

                var delay = _delays[next];
                if (outcome.RetryAfter is { } retryAfter && retryAfter > delay)
                {
                    delay = retryAfter > _options.MaxRetryAfter ? _options.MaxRetryAfter : retryAfter;
                }

                var retryAt = now + delay;
                await _outbox.RetryLaterAsync(batch, retryAt, outcome.Reason, abort).ConfigureAwait(false);
                _nextRetryAt = _nextRetryAt is { } earlier && earlier < retryAt ? earlier : retryAt;
                // Log first, count second: whoever waits on the metric finds the log line written.
                Log.Retrying(_logger, _endpoint.Name, batch.Attempt + 1, webhookId, batch.Events.Count, outcome.Reason, retryAt);
                _metrics.Retrying(_endpoint.Name);
                return;
        }
    }

    private async Task CompleteAsync(ActivityOutboxBatch batch, string webhookId, int status, CancellationToken abort)
    {
        await _outbox.CompleteAsync(batch, abort).ConfigureAwait(false);
        Log.Delivered(_logger, _endpoint.Name, webhookId, batch.Events.Count, status);
        _metrics.Delivered(_endpoint.Name, batch.Events.Count);
    }

    /// <summary>The next batch: one claimed ahead (while its lease is young), else a claim of its own.</summary>
    private async Task<ActivityOutboxBatch?> NextBatchAsync(CancellationToken abort)
    {
        while (true)
        {
            abort.ThrowIfCancellationRequested();
            if (_ahead.Reader.TryRead(out var ahead))
            {
                if (ahead.LeaseExpiresAt - _time.GetUtcNow() >= _claim.Lease / 2)
                {
                    return ahead;
                }

                // Claimed too long ago for a full lease's worth of delivery: left to lapse, it comes back with its id.
                continue;
            }

            if (_claimingAhead is { } claiming)
            {
                // Wait for the next batch or the end of the loop, whose failure (the store is down) surfaces here.
                if (claiming.IsCompleted)
                {
                    _claimingAhead = null;
                    await claiming.ConfigureAwait(false);
                }
                else
                {
                    await Task.WhenAny(_ahead.Reader.WaitToReadAsync(abort).AsTask(), claiming).ConfigureAwait(false);
                }

                continue;
            }

            _measuredJson.ResetWrittenCount();
            _measured.Clear();
            return await _outbox.ClaimAsync(_endpoint.Destination, _claim, abort).ConfigureAwait(false);
        }
    }

    /// <summary>Claims full batches ahead, up to <see cref="MaxClaimedAhead"/> waiting, until the backlog is gone.</summary>
    private async Task ClaimAheadAsync(CancellationToken stopping, CancellationToken abort)
    {
        await Task.Yield();
        while (!stopping.IsCancellationRequested && !_endpoint.IsDisabled)
        {
            var batch = await _outbox.ClaimAsync(_endpoint.Destination, _claim, abort).ConfigureAwait(false);
            if (batch is null)
            {
                return;
            }

            try
            {
                await _ahead.Writer.WriteAsync(batch, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return; // not sent: its lease lapses and it comes back
            }

            if (batch.Events.Count < _endpoint.Options.MaxBatchEvents)
            {
                return;
            }
        }
    }

    /// <summary>Measures an event for a store's claim: serialized with the claim's own writer, nothing kept.</summary>
    private int MeasureAhead(ActivityLogEvent activity)
    {
        _aheadJson.ResetWrittenCount();
        try
        {
            _aheadWriter.Reset(_aheadJson);
            ActivityLog.ActivityJsonSerializer.Write(_aheadWriter, activity, _endpoint.Options.Fields);
            _aheadWriter.Flush();
        }
        catch (Exception exception) when (IsSerializationFailure(exception))
        {
            // Measured as one byte, like Measure does: the body writer sets the event aside and dead-letters it alone.
            return 1;
        }

        return _aheadJson.WrittenCount + 1; // the comma or newline that separates it
    }

    /// <summary>
    /// Serializes one event into <see cref="_measuredJson"/> and remembers where; an event that cannot be serialized
    /// (a <c>JsonValue</c> holding NaN, say) is remembered as such and measured as one byte, so that the claim still
    /// takes it and the worker can set it aside instead of failing the claim for good.
    /// </summary>
    private int Measure(ActivityLogEvent activity)
    {
        int start = _measuredJson.WrittenCount;
        try
        {
            _measureWriter.Reset(_measuredJson);
            ActivityLog.ActivityJsonSerializer.Write(_measureWriter, activity, _endpoint.Options.Fields);
            _measureWriter.Flush();
        }
        catch (Exception exception) when (IsSerializationFailure(exception))
        {
            // Bytes a failed write left behind lie outside every recorded range: harmless.
            _measured[activity] = (0, 0, exception.GetType().Name);
            return 1;
        }

        int length = _measuredJson.WrittenCount - start;
        _measured[activity] = (start, length, null);
        return length + 1; // the comma or newline that separates it
    }

    private static bool IsSerializationFailure(Exception exception) =>
        exception is JsonException or ArgumentException or InvalidOperationException or NotSupportedException;

    /// <summary>
    /// The body in the endpoint's format: <c>{"events":[…]}</c> byte for byte as
    /// <see cref="ActivityLog.ActivityJsonSerializer.WritePayload"/> writes it, or one event a line.
    /// Each event is serialized on its own (measured by this claim, or now for a retried batch) and copied, so an event
    /// that cannot be serialized is left out whole; those are returned (with the error's type), else <see langword="null"/>.
    /// </summary>
    private List<(ActivityLogEvent Event, string Error)>? WriteBody(IReadOnlyList<ActivityLogEvent> events)
    {
        bool json = _endpoint.Options.Format == WebhookPayloadFormat.Json;
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
            Log.Unserializable(_logger, _endpoint.Name, activity.Id, activity.Name, error, webhookId);
        }

        _metrics.Failed(_endpoint.Name, "serialization");
        if (_memory is null || failed.Count == batch.Events.Count)
        {
            await DeadLetterAsync(batch, webhookId, reason, abort).ConfigureAwait(false);
            return null;
        }

        var (rest, deadId) = _memory.DeadLetterEvents(batch, [.. failed.Select(f => f.Event)], reason);
        Log.DeadLettered(_logger, _endpoint.Name, "msg_" + deadId.ToString("N"), failed.Count, batch.Attempt + 1, reason);
        _metrics.DeadLettered(_endpoint.Name);
        return rest;
    }

    private async Task DeadLetterAsync(ActivityOutboxBatch batch, string webhookId, string reason, CancellationToken abort)
    {
        await _outbox.DeadLetterAsync(batch, reason, abort).ConfigureAwait(false);
        Log.DeadLettered(_logger, _endpoint.Name, webhookId, batch.Events.Count, batch.Attempt + 1, reason);
        _metrics.DeadLettered(_endpoint.Name);
    }

    private async Task<Outcome> SendAsync(string webhookId, ReadOnlyMemory<byte> body, CancellationToken abort)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint.Url) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(_contentType) { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSigner.IdHeader, webhookId);
        if (_endpoint.Signer.Scheme == WebhookSigningScheme.StandardWebhooks)
        {
            long timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation(WebhookSigner.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookSigner.SignatureHeader, _endpoint.Signer.SignStandard(webhookId, timestamp, body.Span));
        }
        else
        {
            request.Headers.TryAddWithoutValidation(WebhookSigner.MailtrapHeader, _endpoint.Signer.SignMailtrap(body.Span));
        }

        var client = _clients.CreateClient(ActivityWebhookOptions.HttpClientName);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, abort).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new(OutcomeKind.Delivered, status, "", "");
            }

            string reason = $"HTTP {status}{await ReadBodyAsync(response, abort).ConfigureAwait(false)}";
            string metricReason = status.ToString(CultureInfo.InvariantCulture);
            if (response.StatusCode == HttpStatusCode.Gone)
            {
                return new(OutcomeKind.Gone, status, reason, metricReason);
            }

            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            {
                return new(OutcomeKind.Retry, status, reason, metricReason) { RetryAfter = RetryAfter(response.Headers.RetryAfter) };
            }

            return new(OutcomeKind.Permanent, status, reason + " (not retried)", metricReason);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException)
        {
            return new(OutcomeKind.Retry, 0, $"timed out after {_options.RequestTimeout}", "timeout");
        }
        catch (OperationCanceledException)
        {
            return new(OutcomeKind.Retry, 0, "timed out", "timeout");
        }
        catch (HttpRequestException exception)
        {
            // The error kind and the socket error only: an exception message could quote the URL, and a URL may carry a token.
            string detail = exception.InnerException is System.Net.Sockets.SocketException socket ? $" ({socket.SocketErrorCode})" : "";
            return new(OutcomeKind.Retry, 0, $"connection failed: {exception.HttpRequestError}{detail}", "connection");
        }
    }

    private async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken abort)
    {
        int limit = _options.MaxResponseBodyBytes;
        if (limit <= 0)
        {
            return "";
        }

        // Read at most the limit and drop the rest with the connection: a hostile receiver cannot make us buffer more.
        using var stream = await response.Content.ReadAsStreamAsync(abort).ConfigureAwait(false);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            int read = await stream.ReadAtLeastAsync(buffer.AsMemory(0, limit), limit, throwOnEndOfStream: false, abort).ConfigureAwait(false);
            if (read == 0)
            {
                return "";
            }

            string text = WithoutUrl(System.Text.Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim());
            return text.Length == 0 ? "" : ": " + (text.Length > 500 ? text[..500] : text);
        }
#pragma warning disable CA1031 // The body only decorates the reason; a broken body must not change the outcome.
        catch (Exception exception) when (exception is not OperationCanceledException || !abort.IsCancellationRequested)
#pragma warning restore CA1031
        {
            return "";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A receiver may echo the request line ("404: /hooks/T0/B0/secret"): the reason is logged, the path and query are not.</summary>
    private string WithoutUrl(string text)
    {
        var url = _endpoint.Url;
        foreach (string part in (string[])[url.PathAndQuery, url.AbsolutePath, url.Query.TrimStart('?'), Uri.UnescapeDataString(url.AbsolutePath)])
        {
            if (part.Length > 1)
            {
                text = text.Replace(part, "[url]", StringComparison.OrdinalIgnoreCase);
            }
        }

        return text;
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header)
    {
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    /// <summary>Waits for a notification, the poll interval, or this endpoint's next retry time, whichever comes first.</summary>
    private async Task WaitAsync(long seen, bool lastFull, Func<bool> draining, CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        var wait = _options.PollInterval;
        var due = _memory is not null ? _memory.NextDueAt(_endpoint.Destination) : _nextRetryAt;
        if (due is { } at)
        {
            // Absolute times: a clock that moved on before this wait began shortens it, it does not restart it.
            if (at <= now)
            {
                _nextRetryAt = null;
                return;
            }

            if (at - now < wait)
            {
                wait = at - now;
            }
        }

        bool notified;
        try
        {
            notified = await _signal.WaitAsync(seen, wait, _time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (notified && !lastFull && !draining() && !_endpoint.IsDisabled && _endpoint.Options.MaxBatchDelay > TimeSpan.Zero)
        {
            // Let the batch fill: a lull's first event would otherwise go out alone.
            await Task.Delay(_endpoint.Options.MaxBatchDelay, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RefreshDepthAsync(CancellationToken abort)
    {
        // The store's count is a query: refresh the gauge's value at most once per poll interval.
        if (_memory is not null || _time.GetUtcNow() - _depthReadAt < _options.PollInterval)
        {
            return;
        }

        _depthReadAt = _time.GetUtcNow();
        Volatile.Write(ref _depth, await _outbox.CountPendingAsync(_endpoint.Destination, abort).ConfigureAwait(false));
    }

    private enum OutcomeKind
    {
        Delivered,
        Retry,
        Permanent,
        Gone,
    }

    private readonly record struct Outcome(OutcomeKind Kind, int Status, string Reason, string MetricReason)
    {
        public TimeSpan? RetryAfter { get; init; }
    }
}

using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using ActivityLog.Diagnostics;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Signing;
using Polly.Timeout;

namespace ActivityLog.Webhooks.Delivery;

// The HTTP side of a delivery: the signed request, the answer's classification (Standard Webhooks' rules), the span.
internal sealed partial class WebhookDelivery
{
    /// <summary>The client of host-configured endpoints (the host's network rules).</summary>
    public const string EndpointClient = ActivityWebhookOptions.HttpClientName;

    /// <summary>The client of tenant subscriptions: the stricter tenant rules at connect time, one pool for every subscription.</summary>
    public const string SubscriptionClient = ActivityWebhookOptions.HttpClientName + ".Subscriptions";

    private async Task<Outcome> SendAsync(WebhookTarget target, string webhookId, ReadOnlyMemory<byte> body, CancellationToken abort)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(WebhookPayloadWriter.ContentType(target.Format)) { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSigner.IdHeader, webhookId);
        if (target.Signer.Scheme == WebhookSigningScheme.StandardWebhooks)
        {
            long timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation(WebhookSigner.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookSigner.SignatureHeader, target.Signer.SignStandard(webhookId, timestamp, body.Span));
        }
        else
        {
            request.Headers.TryAddWithoutValidation(WebhookSigner.MailtrapHeader, target.Signer.SignMailtrap(body.Span));
        }

        var client = _clients.CreateClient(target.IsTenant ? SubscriptionClient : EndpointClient);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, abort).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new(OutcomeKind.Delivered, status, "", "");
            }

            string excerpt = await ReadBodyAsync(response, target, abort).ConfigureAwait(false);
            string reason = excerpt.Length == 0 ? $"HTTP {status}" : $"HTTP {status}: {excerpt}";
            string metricReason = status.ToString(CultureInfo.InvariantCulture);
            if (response.StatusCode == HttpStatusCode.Gone)
            {
                return new(OutcomeKind.Gone, status, reason, metricReason) { Excerpt = excerpt };
            }

            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            {
                return new(OutcomeKind.Retry, status, reason, metricReason) { RetryAfter = RetryAfter(response.Headers.RetryAfter), Excerpt = excerpt };
            }

            return new(OutcomeKind.Permanent, status, reason + " (not retried)", metricReason) { Excerpt = excerpt };
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
            // The error kind and the socket error only: an exception message could quote the URL, and a URL may carry a
            // token. A target refused at connect time (a name that resolves to a private address) says so, by host.
            string detail = exception.InnerException is System.Net.Sockets.SocketException socket ? $" ({socket.SocketErrorCode})" : "";
            string refused = exception.Message.StartsWith("The webhook target ", StringComparison.Ordinal) ? ": " + exception.Message : "";
            return new(OutcomeKind.Retry, 0, $"connection failed: {exception.HttpRequestError}{detail}{refused}", "connection");
        }
    }

    private async Task<string> ReadBodyAsync(HttpResponseMessage response, WebhookTarget target, CancellationToken abort)
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

            string text = WithoutUrl(target.Url, System.Text.Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim());
            return text.Length > 500 ? text[..500] : text;
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
    private static string WithoutUrl(Uri url, string text)
    {
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

    private Activity? StartAttemptSpan(ActivityOutboxBatch batch, string webhookId)
    {
        var span = ActivityLogTracing.Source.StartActivity(ActivityLogTracing.WebhookAttemptSpan, ActivityKind.Internal);
        if (span is not null)
        {
            // The host and port only: a URL's path or query may carry a token.
            span.SetTag(ActivityLogTracing.EndpointTag, _target.Name);
            span.SetTag(ActivityLogTracing.ServerAddressTag, _target.Url.IdnHost);
            span.SetTag(ActivityLogTracing.ServerPortTag, _target.Url.Port);
            span.SetTag(ActivityLogTracing.BatchSizeTag, batch.Events.Count);
            span.SetTag(ActivityLogTracing.AttemptTag, batch.Attempt + 1);
            span.SetTag(ActivityLogTracing.WebhookIdTag, webhookId);
        }

        return span;
    }

    private static void TagOutcome(Activity? span, Outcome outcome, bool lastAttempt)
    {
        if (span is null)
        {
            return;
        }

        if (outcome.Status > 0)
        {
            span.SetTag(ActivityLogTracing.HttpStatusTag, outcome.Status);
        }

        string result = outcome.Kind switch
        {
            OutcomeKind.Delivered => "delivered",
            OutcomeKind.Gone => "gone",
            OutcomeKind.Permanent => "dead_lettered",
            _ => lastAttempt ? "dead_lettered" : "retry",
        };
        span.SetTag(ActivityLogTracing.OutcomeTag, result);
        if (outcome.Kind != OutcomeKind.Delivered)
        {
            span.SetTag(ActivityLogTracing.ErrorTypeTag, outcome.MetricReason);
            span.SetStatus(ActivityStatusCode.Error, outcome.MetricReason);
        }
    }

    private readonly record struct Outcome(OutcomeKind Kind, int Status, string Reason, string MetricReason)
    {
        public TimeSpan? RetryAfter { get; init; }

        public string Excerpt { get; init; } = "";
    }
}

/// <summary>How an attempt ended, as the outbox and the failure rules see it.</summary>
internal enum OutcomeKind
{
    Delivered,
    Retry,
    Permanent,
    Gone,
}

/// <summary>One attempt's result, for the attempt history and the failure rules.</summary>
internal readonly record struct DeliveryResult(
    OutcomeKind Kind, string WebhookId, int Attempt, int EventCount, int Status, string Reason, string? Excerpt, DateTimeOffset StartedAt, TimeSpan Duration)
{
    public bool Succeeded => Kind == OutcomeKind.Delivered;
}

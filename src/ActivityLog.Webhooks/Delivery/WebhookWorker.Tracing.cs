using System.Diagnostics;
using ActivityLog.Diagnostics;
using ActivityLog.Extensibility;

namespace ActivityLog.Webhooks.Delivery;

// The worker's span per attempt: where to (host and port only), how big, what came back. Never a path, query or body.
internal sealed partial class WebhookWorker
{
    private Activity? StartAttemptSpan(ActivityOutboxBatch batch, string webhookId)
    {
        var span = ActivityLogTracing.Source.StartActivity(ActivityLogTracing.WebhookAttemptSpan, ActivityKind.Internal);
        if (span is not null)
        {
            // The host and port only: a URL's path or query may carry a token.
            span.SetTag(ActivityLogTracing.EndpointTag, _endpoint.Name);
            span.SetTag(ActivityLogTracing.ServerAddressTag, _endpoint.Url.IdnHost);
            span.SetTag(ActivityLogTracing.ServerPortTag, _endpoint.Url.Port);
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
}

using System.Diagnostics;

namespace ActivityLog.Diagnostics;

/// <summary>
/// The <see cref="ActivitySource"/> shared by every package, and the names of its spans and tags. Tags follow the
/// OpenTelemetry conventions where one exists (<c>error.type</c>, <c>server.address</c>, <c>http.response.status_code</c>).
/// </summary>
internal static class ActivityLogTracing
{
    public static readonly ActivitySource Source = new(ActivityLogDiagnostics.ActivitySourceName, typeof(ActivityLogTracing).Assembly.GetName().Version?.ToString());

    public const string DispatchSpan = "activitylog.dispatch";
    public const string SinkWriteSpan = "activitylog.sink.write";
    public const string WebhookAttemptSpan = "activitylog.webhook.attempt";

    public const string BatchSizeTag = "activitylog.batch.size";
    public const string SinkTag = "activitylog.sink";
    public const string OutcomeTag = "activitylog.outcome";
    public const string EndpointTag = "activitylog.webhook.endpoint";
    public const string AttemptTag = "activitylog.webhook.attempt";
    public const string WebhookIdTag = "activitylog.webhook.id";
    public const string ErrorTypeTag = "error.type";
    public const string ServerAddressTag = "server.address";
    public const string ServerPortTag = "server.port";
    public const string HttpStatusTag = "http.response.status_code";

    /// <summary>
    /// Clears the ambient span at the start of a background loop: the loop's spans must not hang under whatever was
    /// current when the host started it (an async method's change stays in its own flow).
    /// </summary>
    public static void DetachFromCaller() => Activity.Current = null;

    /// <summary>Marks a span failed with the exception's type only: a message may quote values or secrets.</summary>
    public static void Failed(Activity? span, string outcome, Exception exception)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(OutcomeTag, outcome);
        span.SetTag(ErrorTypeTag, exception.GetType().FullName);
        span.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
    }
}

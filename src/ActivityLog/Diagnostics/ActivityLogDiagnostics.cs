namespace ActivityLog;

/// <summary>
/// The names ActivityLog publishes its telemetry under, to subscribe with OpenTelemetry
/// (<c>.AddMeter(ActivityLogDiagnostics.MeterName)</c>, <c>.AddSource(ActivityLogDiagnostics.ActivitySourceName)</c>)
/// or a <see cref="System.Diagnostics.ActivityListener"/>.
/// </summary>
public static class ActivityLogDiagnostics
{
    /// <summary>The meter of the pipeline's instruments (<c>activitylog.events.*</c>, <c>activitylog.queue.depth</c>, ...).</summary>
    public const string MeterName = "ActivityLog";

    /// <summary>The meter of the webhooks package's instruments (<c>activitylog.webhooks.*</c>).</summary>
    public const string WebhooksMeterName = "ActivityLog.Webhooks";

    /// <summary>
    /// The activity source of every package's spans: a batch's dispatch, each sink write and each webhook attempt.
    /// Spans carry counts, names and outcomes, never event contents or secrets.
    /// </summary>
    public const string ActivitySourceName = "ActivityLog";
}

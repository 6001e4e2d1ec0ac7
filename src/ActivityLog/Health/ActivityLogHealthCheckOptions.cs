using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ActivityLog;

/// <summary>
/// The thresholds of the ActivityLog health check (<c>services.AddHealthChecks().AddActivityLog()</c>). Named after
/// the check's registration name; validated when first used.
/// </summary>
public sealed class ActivityLogHealthCheckOptions
{
    /// <summary>The queue's fill, as a fraction of <see cref="ActivityLogOptions.QueueCapacity"/>, above which the check reports Degraded.</summary>
    /// <value>0.8 (80 %). Between 0.01 and 1.</value>
    [Range(0.01, 1.0)]
    public double QueueDegradedRatio { get; set; } = 0.8;

    /// <summary>Events dropped since start (any reason) that are tolerated; more reports Degraded.</summary>
    /// <value>0: any drop reports Degraded. Between 0 and <see cref="long.MaxValue"/>.</value>
    [Range(0, long.MaxValue)]
    public long DroppedEventsTolerated { get; set; }

    /// <summary>Events quarantined since start that are tolerated; more reports Degraded.</summary>
    /// <value>0: any quarantined event reports Degraded. Between 0 and <see cref="long.MaxValue"/>.</value>
    [Range(0, long.MaxValue)]
    public long QuarantinedEventsTolerated { get; set; }

    /// <summary>How old the oldest pending delivery of a destination may be before the check reports Degraded.</summary>
    /// <value>5 minutes. Between 1 second and 30 days (checked beside the attributes: a TimeSpan range attribute is not trim-safe).</value>
    public TimeSpan OutboxBacklogAgeDegraded { get; set; } = TimeSpan.FromMinutes(5);

    internal static readonly TimeSpan MinBacklogAge = TimeSpan.FromSeconds(1);

    internal static readonly TimeSpan MaxBacklogAge = TimeSpan.FromDays(30);

    /// <summary>Dead-lettered batches per destination that are tolerated; more reports Degraded.</summary>
    /// <value>0: any dead letter reports Degraded. Between 0 and <see cref="long.MaxValue"/>.</value>
    [Range(0, long.MaxValue)]
    public long DeadLettersTolerated { get; set; }
}

/// <summary>Validates <see cref="ActivityLogHealthCheckOptions"/> from its DataAnnotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class ActivityLogHealthCheckOptionsValidator : IValidateOptions<ActivityLogHealthCheckOptions>;

using ActivityLog;
using ActivityLog.Health;
using ActivityLog.Pipeline;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the ActivityLog health check to <c>services.AddHealthChecks()</c>.</summary>
public static class ActivityLogHealthChecksBuilderExtensions
{
    /// <summary>The default registration name of the check.</summary>
    public const string DefaultName = "activitylog";

    /// <summary>
    /// Adds a check of the ActivityLog pipeline and its deliveries. It reports <paramref name="failureStatus"/> while a
    /// sink's last write failed (it is retrying or gave up), the dispatcher is not running or an outbox cannot be
    /// read; Degraded while the queue is near capacity, after drops or quarantined events, or while a delivery
    /// backlog is old or holds dead letters (thresholds in <see cref="ActivityLogHealthCheckOptions"/>); counts per
    /// reason are in the result's data. Needs <c>services.AddActivityLog()</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The registration name (also the name of the check's options).</param>
    /// <param name="failureStatus">The status reported on failure, or <see langword="null"/> for Unhealthy.</param>
    /// <param name="tags">Tags to filter checks by (readiness, liveness), or <see langword="null"/>.</param>
    /// <param name="configure">Adjusts the thresholds, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddActivityLog(
        this IHealthChecksBuilder builder,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        Action<ActivityLogHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var options = builder.Services.AddOptions<ActivityLogHealthCheckOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options
            .Validate(
                o => o.OutboxBacklogAgeDegraded >= ActivityLogHealthCheckOptions.MinBacklogAge && o.OutboxBacklogAgeDegraded <= ActivityLogHealthCheckOptions.MaxBacklogAge,
                "ActivityLogHealthCheckOptions.OutboxBacklogAgeDegraded must be between 1 second and 30 days.")
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityLogHealthCheckOptions>, ActivityLogHealthCheckOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new ActivityLogHealthCheck(
                sp.GetRequiredService<ActivityDispatcher>(),
                sp.GetRequiredService<IOptionsMonitor<ActivityLogHealthCheckOptions>>().Get(name),
                sp,
                sp.GetRequiredService<TimeProvider>()),
            failureStatus,
            tags));
    }
}

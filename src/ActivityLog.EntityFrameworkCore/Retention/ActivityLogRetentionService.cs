using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Retention;

/// <summary>The outcome of one run of the retention job (for tests and diagnostics).</summary>
/// <param name="Cutoff">Events before this time were to be deleted.</param>
/// <param name="Deleted">How many were deleted.</param>
/// <param name="Error">Why the run failed, or <see langword="null"/>.</param>
internal readonly record struct RetentionRun(DateTimeOffset Cutoff, long Deleted, Exception? Error);

/// <summary>
/// The retention job: when <see cref="ActivityLogStoreOptions.RetentionPeriod"/> is set, deletes older events once at
/// start and then every <see cref="ActivityLogStoreOptions.RetentionInterval"/>, on the registered
/// <see cref="TimeProvider"/>. A failed run (database down, table missing) is logged and retried at the next interval:
/// it never stops the host.
/// </summary>
internal sealed class ActivityLogRetentionService(
    IActivityLogRetention retention,
    IOptions<ActivityLogStoreOptions> options,
    TimeProvider timeProvider,
    ILogger<ActivityLogRetentionService> logger) : BackgroundService
{
    /// <summary>Called after every run, failed or not; lets tests wait for a run instead of sleeping.</summary>
    internal Action<RetentionRun>? RunCompleted { get; set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.RetentionPeriod is not { } period)
        {
            return;
        }

        var interval = settings.RetentionInterval;
        RetentionLog.Started(logger, interval, period);

        // Created before the first run, so the schedule is start + n × interval however long a run takes; a run longer
        // than the interval makes the timer skip the ticks it missed rather than run back to back.
        using var timer = new PeriodicTimer(interval, timeProvider);
        do
        {
            await RunOnceAsync(period, interval, stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task RunOnceAsync(TimeSpan period, TimeSpan interval, CancellationToken stoppingToken)
    {
        var cutoff = timeProvider.GetUtcNow() - period;
        RetentionRun run;
        try
        {
            long deleted = await retention.DeleteOlderThanAsync(cutoff, stoppingToken).ConfigureAwait(false);
            if (deleted > 0)
            {
                RetentionLog.Deleted(logger, deleted, cutoff);
            }

            run = new RetentionRun(cutoff, deleted, null);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever the database throws, the job logs it and tries again later; it must not stop the host.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            RetentionLog.Failed(logger, exception, cutoff, interval);
            run = new RetentionRun(cutoff, 0, exception);
        }

        RunCompleted?.Invoke(run);
    }
}

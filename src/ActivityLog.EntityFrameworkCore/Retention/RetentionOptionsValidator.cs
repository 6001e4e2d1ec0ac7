using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Retention;

/// <summary>Fails the start when the retention settings cannot work (a zero interval would spin, a negative period delete the future).</summary>
internal sealed class RetentionOptionsValidator : IValidateOptions<ActivityLogStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, ActivityLogStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.RetentionPeriod is { } period && period <= TimeSpan.Zero)
        {
            failures.Add($"ActivityLogStoreOptions.RetentionPeriod is {period}; it must be positive, or null to keep events forever.");
        }

        // PeriodicTimer's own limits: more than zero, less than about 49.7 days.
        if (options.RetentionInterval <= TimeSpan.Zero || options.RetentionInterval.TotalMilliseconds > uint.MaxValue - 1)
        {
            failures.Add($"ActivityLogStoreOptions.RetentionInterval is {options.RetentionInterval}; it must be positive and at most 49 days.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

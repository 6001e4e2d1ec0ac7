using ActivityLog.Formatting;
using ActivityLog.Redaction;
using Microsoft.Extensions.Options;

namespace ActivityLog;

/// <summary>
/// The cross-field rules of <see cref="ActivityLogOptions"/>, which attributes cannot express: the retry delays'
/// order, and description templates and redaction rules that must parse. (Ranges are <see cref="ActivityLogOptionsValidator"/>'s.)
/// </summary>
internal sealed class ActivityLogRulesValidator : IValidateOptions<ActivityLogOptions>
{
    public ValidateOptionsResult Validate(string? name, ActivityLogOptions options)
    {
        var failures = new List<string>();
        if (options.SinkRetry.MaxDelay < options.SinkRetry.Delay)
        {
            failures.Add("ActivityLog:SinkRetry:MaxDelay must not be shorter than ActivityLog:SinkRetry:Delay.");
        }

        try
        {
            _ = new ActivityDescriptionFormatter(options.Descriptions);
        }
        catch (ArgumentException exception)
        {
            failures.Add($"ActivityLog:Descriptions: {exception.Message}");
        }

        try
        {
            _ = new SensitiveFieldRedactor(options.Redaction);
        }
        catch (ArgumentException exception)
        {
            failures.Add($"ActivityLog:Redaction: {exception.Message}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

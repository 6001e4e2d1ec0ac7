using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Storage;

/// <summary>Validates the DataAnnotations attributes of <see cref="ActivityLogStoreOptions"/> at start (source-generated).</summary>
[OptionsValidator]
internal sealed partial class ActivityLogStoreOptionsValidator : IValidateOptions<ActivityLogStoreOptions>;

/// <summary>Validates what attributes cannot express: how the page sizes relate.</summary>
internal sealed class ActivityLogStoreRulesValidator : IValidateOptions<ActivityLogStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, ActivityLogStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.DefaultPageSize > options.MaxPageSize
            ? ValidateOptionsResult.Fail($"ActivityLog:Store:DefaultPageSize ({options.DefaultPageSize}) must not be larger than ActivityLog:Store:MaxPageSize ({options.MaxPageSize}).")
            : ValidateOptionsResult.Success;
    }
}

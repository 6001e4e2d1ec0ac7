using Microsoft.Extensions.Options;

namespace ActivityLog.AspNetCore.Context;

/// <summary>Validates the DataAnnotations attributes of <see cref="ActivityLogHttpOptions"/> at start (source-generated).</summary>
[OptionsValidator]
internal sealed partial class ActivityLogHttpOptionsValidator : IValidateOptions<ActivityLogHttpOptions>;

/// <summary>Validates what attributes cannot express: no empty claim type, header or route value name, and some way to find the account.</summary>
internal sealed class ActivityLogHttpOptionsRulesValidator : IValidateOptions<ActivityLogHttpOptions>
{
    public ValidateOptionsResult Validate(string? name, ActivityLogHttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        CheckList(failures, nameof(options.ActorIdClaimTypes), options.ActorIdClaimTypes);
        CheckList(failures, nameof(options.ActorNameClaimTypes), options.ActorNameClaimTypes);
        CheckList(failures, nameof(options.AuthMethodClaimTypes), options.AuthMethodClaimTypes);
        CheckList(failures, nameof(options.ApiTokenAuthenticationTypes), options.ApiTokenAuthenticationTypes);
        CheckName(failures, nameof(options.ActorTypeClaimType), options.ActorTypeClaimType);
        CheckName(failures, nameof(options.AccountClaimType), options.AccountClaimType);
        CheckName(failures, nameof(options.AccountRouteValue), options.AccountRouteValue);
        CheckName(failures, nameof(options.AccountHeader), options.AccountHeader);
        if (options.AccountResolver is null && options.AccountClaimType is null && options.AccountRouteValue is null && options.AccountHeader is null)
        {
            failures.Add($"{ActivityLogHttpOptions.SectionName} names no way to find the account: set AccountResolver, AccountClaimType, AccountRouteValue or AccountHeader.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckList(List<string> failures, string name, IList<string>? values)
    {
        // Null is [Required]'s failure.
        if (values is not null && values.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add($"{ActivityLogHttpOptions.SectionName}:{name} must not hold an empty entry.");
        }
    }

    private static void CheckName(List<string> failures, string name, string? value)
    {
        if (value is not null && string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{ActivityLogHttpOptions.SectionName}:{name} must be null (not used) or a non-empty name.");
        }
    }
}

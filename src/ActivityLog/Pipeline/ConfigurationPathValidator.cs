using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ActivityLog;

/// <summary>
/// Runs a source-generated <c>[OptionsValidator]</c> and rewrites the members its failures name
/// (<c>ActivityLogStoreOptions.MaxPageSize</c>, <c>ActivityLogOptions.SinkRetry.Delay</c>) as configuration paths
/// (<c>ActivityLog:Store:MaxPageSize</c>, <c>ActivityLog:SinkRetry:Delay</c>), so that a failed start says which key to fix.
/// </summary>
/// <remarks>
/// The generator names members by type and formats its range messages itself (it does not use an attribute's
/// <c>ErrorMessage</c>), so the path is put in here, once for every options type of every package.
/// </remarks>
/// <typeparam name="TOptions">The options type.</typeparam>
internal sealed class ConfigurationPathValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    private readonly IValidateOptions<TOptions> _inner;
    private readonly Regex _member;
    private readonly string _section;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The generated validator.</param>
    /// <param name="section">The configuration section <typeparamref name="TOptions"/> binds from, such as <c>ActivityLog:Store</c>.</param>
    public ConfigurationPathValidator(IValidateOptions<TOptions> inner, string section)
    {
        _inner = inner;
        _section = section;
        _member = new Regex($@"\b{Regex.Escape(typeof(TOptions).Name)}((?:\.\w+)+)", RegexOptions.CultureInvariant);
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var result = _inner.Validate(name, options);
        if (!result.Failed)
        {
            return result;
        }

        return ValidateOptionsResult.Fail((result.Failures ?? [result.FailureMessage]).Select(Rewrite));
    }

    private string Rewrite(string failure) =>
        _member.Replace(failure, m => _section + m.Groups[1].Value.Replace('.', ':'));
}

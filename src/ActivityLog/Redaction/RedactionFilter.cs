using System.Text.RegularExpressions;

namespace ActivityLog.Redaction;

/// <summary>One validated filter: plain text or a regular expression, matched against a key or a dotted path.</summary>
/// <param name="Text">The plain text, or <see langword="null"/> for a regular expression.</param>
/// <param name="Pattern">The regular expression, or <see langword="null"/> for plain text.</param>
/// <param name="IsPath">Whether the filter is matched against the dotted path of nested keys instead of the key.</param>
internal readonly record struct RedactionFilter(string? Text, Regex? Pattern, bool IsPath)
{
    private const RegexOptions CompiledOptions = RegexOptions.Compiled | RegexOptions.CultureInvariant;

    /// <summary>Parses a configured filter: <c>/pattern/</c> or <c>/pattern/i</c> is a regular expression, anything else plain text.</summary>
    /// <exception cref="ArgumentException">The filter is empty or an invalid regular expression. The message names the filter.</exception>
    public static RedactionFilter Parse(string? filter, string paramName)
    {
        if (string.IsNullOrEmpty(filter))
        {
            throw new ArgumentException("Redaction filters must not be null or empty.", paramName);
        }

        if (!TryGetRegexLiteral(filter, out var pattern, out var options))
        {
            return new RedactionFilter(filter, null, filter.Contains('.', StringComparison.Ordinal));
        }

        if (pattern.Length == 0)
        {
            throw new ArgumentException($"The redaction filter '{filter}' is an empty regular expression, which would mask every key.", paramName);
        }

        Regex regex;
        try
        {
            regex = new Regex(pattern, options | CompiledOptions);
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"The redaction filter '{filter}' is not a valid regular expression: {exception.Message}", paramName, exception);
        }

        return FromRegex(regex);
    }

    /// <summary>Wraps a regular expression given in code; a pattern containing <c>\.</c> is matched against the dotted path.</summary>
    public static RedactionFilter FromRegex(Regex regex) => new(null, regex, regex.ToString().Contains(@"\.", StringComparison.Ordinal));

    private static bool TryGetRegexLiteral(string filter, out string pattern, out RegexOptions options)
    {
        pattern = string.Empty;
        options = RegexOptions.None;
        if (filter.Length < 3 || filter[0] != '/')
        {
            return false;
        }

        if (filter[^1] == '/')
        {
            pattern = filter[1..^1];
            return true;
        }

        if (filter[^1] == 'i' && filter[^2] == '/')
        {
            pattern = filter[1..^2];
            options = RegexOptions.IgnoreCase;
            return true;
        }

        return false;
    }
}

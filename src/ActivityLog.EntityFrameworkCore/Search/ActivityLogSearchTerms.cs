using System.Globalization;
using System.Text;

namespace ActivityLog.EntityFrameworkCore.Search;

/// <summary>
/// The words of an <see cref="ActivityLogQuery.Search"/>: its runs of letters, digits and combining marks, lower-cased;
/// everything else (white space, punctuation, symbols, quotes, the operators of FTS5 and <c>tsquery</c>) only separates
/// words. An event matches when its search text holds every word, each as the start of one of its own words
/// ("logg" finds "Logging"; "ging" does not).
/// </summary>
/// <remarks>
/// Hand-written rather than handed to <c>websearch_to_tsquery</c> or FTS5's query parser, for two reasons: those
/// grammars give quotes, <c>-</c>, <c>OR</c>, <c>NEAR</c>, <c>*</c> and <c>:</c> meanings a person typing into a search
/// box does not intend (and FTS5 throws a syntax error on a lone <c>"</c>), and neither offers prefix matching on plain
/// words. Words made only of letters, digits and marks cannot carry any syntax, so every query built from them is valid.
/// </remarks>
internal sealed class ActivityLogSearchTerms
{
    private ActivityLogSearchTerms(string[] words) => Words = words;

    /// <summary>The distinct words, lower-cased (invariant culture), in the order typed. Empty when the text has no letter or digit.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The words of a search text that is not white space only.</summary>
    public static ActivityLogSearchTerms Parse(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsWordRune(rune))
            {
                word.Append(rune.ToString());
            }
            else
            {
                Flush(word, words);
            }
        }

        Flush(word, words);
        return new ActivityLogSearchTerms([.. words]);
    }

    /// <summary>An FTS5 query: every word as a quoted prefix token, <c>"logg"* AND "jane"*</c>.</summary>
    public string ToFts5Query() => string.Join(" AND ", Words.Select(w => "\"" + w.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"*"));

    /// <summary>A <c>tsquery</c> (for <c>to_tsquery</c>): every word as a quoted prefix lexeme, <c>'logg':* &amp; 'jane':*</c>.</summary>
    public string ToTsQuery() => string.Join(" & ", Words.Select(w => "'" + w.Replace("'", "''", StringComparison.Ordinal) + "':*"));

    /// <summary>Whether a character (a whole code point) belongs to a word; an invalid surrogate does not.</summary>
    private static bool IsWordRune(Rune rune) =>
        Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static void Flush(StringBuilder word, List<string> words)
    {
        if (word.Length == 0)
        {
            return;
        }

        string lower = word.ToString().ToLowerInvariant();
        if (!words.Contains(lower, StringComparer.Ordinal))
        {
            words.Add(lower);
        }

        word.Clear();
    }
}

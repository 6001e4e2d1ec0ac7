using System.Buffers;
using System.Globalization;
using System.Text;
using ActivityLog.Formatting;
using ActivityLog.Serialization;

namespace ActivityLog.AspNetCore.Endpoints;

/// <summary>
/// The CSV export's rows (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma, a quote or a
/// line break). Cells that a spreadsheet would run as a formula (starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>,
/// a tab, a carriage return or NUL) are prefixed with <c>'</c> and quoted (OWASP's CSV injection advice, ASVS 5.0
/// 1.2.10). Cells holding a semicolon or a tab are quoted as well, so a spreadsheet that splits on those instead of
/// commas (semicolon locales, tab-separated imports) and honours the quotes keeps the cell whole.
/// </summary>
/// <remarks>Hand-written: the framework has no CSV writer, and the format is small.</remarks>
internal static class ActivityLogCsv
{
    public const string Header =
        "id,timestamp,event,actor_type,actor_id,actor_name,resource_type,resource_id,resource_name,description,sentence,changes\r\n";

    // RFC 4180's own reasons to quote, plus the separators other spreadsheets split on.
    private static readonly SearchValues<char> MustQuote = SearchValues.Create(",;\t\"\r\n");

    public static void AppendRow(StringBuilder line, ActivityLogEvent activity, ActivityDescriptionFormatter formatter)
    {
        Cell(line, activity.Id.ToString("D"), first: true);
        Cell(line, activity.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        Cell(line, activity.Name);
        Cell(line, activity.Actor.Type);
        Cell(line, activity.Actor.Id);
        Cell(line, activity.Actor.Name);
        Cell(line, activity.Resource?.Type);
        Cell(line, activity.Resource?.Id);
        Cell(line, activity.Resource?.Name);
        Cell(line, activity.Description);
        Cell(line, formatter.FormatSentence(activity));
        Cell(line, activity.Changes.Count == 0 ? null : ActivityJsonParts.SerializeChanges(activity.Changes));
        line.Append("\r\n");
    }

    internal static void Cell(StringBuilder line, string? value, bool first = false)
    {
        if (!first)
        {
            line.Append(',');
        }

        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        bool formula = value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\0';
        bool quote = formula || value.AsSpan().IndexOfAny(MustQuote) >= 0;
        if (!quote)
        {
            line.Append(value);
            return;
        }

        line.Append('"');
        if (formula)
        {
            line.Append('\'');
        }

        line.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}

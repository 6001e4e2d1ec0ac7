using System.Globalization;
using System.Text;
using ActivityLog.Formatting;
using ActivityLog.Serialization;

namespace ActivityLog.AspNetCore.Endpoints;

/// <summary>
/// The CSV export's rows (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma, a quote or a
/// line break). Cells that a spreadsheet would run as a formula (starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>,
/// a tab or a carriage return) are prefixed with <c>'</c> (OWASP's CSV injection advice).
/// </summary>
/// <remarks>Hand-written: the framework has no CSV writer, and the format is small.</remarks>
internal static class ActivityLogCsv
{
    public const string Header =
        "id,timestamp,event,actor_type,actor_id,actor_name,resource_type,resource_id,resource_name,description,sentence,changes\r\n";

    public static void AppendRow(StringBuilder line, ActivityEvent activity, ActivityDescriptionFormatter formatter)
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

        bool formula = value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
        bool quote = formula || value.AsSpan().IndexOfAny(",\"\r\n") >= 0;
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

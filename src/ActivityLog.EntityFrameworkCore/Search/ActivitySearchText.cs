using System.Text;
using System.Text.Json;

namespace ActivityLog.EntityFrameworkCore.Search;

/// <summary>
/// The text a row is found by (<see cref="StoredActivityLogEvent.SearchText"/>): the description, the actor's name,
/// the resource's and the related resources' names, and the string and number values of the changes (from and to, at
/// every depth), one per line. A value equal to the redaction mask is left out, so <c>[FILTERED]</c> finds nothing and
/// a masked value's shape (that it was masked) cannot be searched for either.
/// </summary>
internal static class ActivitySearchText
{
    /// <summary>
    /// The most characters kept: PostgreSQL refuses a <c>tsvector</c> over 1 MB, which a text of this length cannot
    /// reach whatever its words; what lies beyond is not searchable (the event is stored whole all the same).
    /// </summary>
    public const int MaxLength = 100_000;

    /// <summary>The search text of an event whose changes were serialized as <paramref name="changesJson"/>.</summary>
    /// <param name="activityEvent">The processed event.</param>
    /// <param name="changesJson">Its changes as the row stores them (the payload's <c>{"field":{"to":…,"from":…}}</c>).</param>
    /// <param name="mask">The redaction mask (<c>[FILTERED]</c> unless configured); values equal to it are left out.</param>
    /// <returns>The text, or <see langword="null"/> when the event has nothing to search.</returns>
    public static string? Build(ActivityLogEvent activityEvent, string changesJson, string mask)
    {
        var text = new StringBuilder();
        Append(text, activityEvent.Description, mask);
        Append(text, activityEvent.Actor.Name, mask);
        Append(text, activityEvent.Resource?.Name, mask);
        foreach (var related in activityEvent.RelatedResources)
        {
            Append(text, related.Name, mask);
        }

        // The stored JSON rather than the change objects: it is what the row holds, already normalized, and the
        // reader walks nested objects and arrays for us. Property names are field names, not values: skipped.
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(changesJson));
        while (text.Length < MaxLength && reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
            {
                Append(text, reader.TokenType == JsonTokenType.String ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan), mask);
            }
        }

        if (text.Length == 0)
        {
            return null;
        }

        if (text.Length > MaxLength)
        {
            // Never cut a surrogate pair in two: a lone surrogate is what PostgreSQL refuses in text.
            int length = char.IsHighSurrogate(text[MaxLength - 1]) ? MaxLength - 1 : MaxLength;
            text.Length = length;
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, string? value, string mask)
    {
        if (string.IsNullOrWhiteSpace(value) || string.Equals(value, mask, StringComparison.Ordinal))
        {
            return;
        }

        if (text.Length > 0)
        {
            text.Append('\n');
        }

        text.Append(value);
    }
}

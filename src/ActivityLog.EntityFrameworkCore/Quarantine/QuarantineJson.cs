using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActivityLog.Serialization;

namespace ActivityLog.EntityFrameworkCore.Quarantine;

/// <summary>
/// Writes a rejected event into a form every text column holds, and reads it back. The JSON is the core's contract
/// (<see cref="ActivityJsonSerializer"/>, every optional field) with its default encoder, which escapes everything
/// outside printable ASCII: a NUL becomes the six characters <c>\u0000</c> and a lone surrogate <c>\uFFFD</c> (the
/// writer repairs it), so neither reaches the column.
/// </summary>
internal static class QuarantineJson
{
    /// <summary>Writes the event as JSON text; never throws for what the event holds.</summary>
    /// <param name="activityEvent">The rejected event.</param>
    /// <param name="repaired">Whether values JSON cannot carry (non-finite numbers inside JSON nodes) were written as strings.</param>
    /// <returns>ASCII JSON text.</returns>
    public static string Serialize(ActivityLogEvent activityEvent, out bool repaired)
    {
        try
        {
            repaired = false;
            return ActivityJsonSerializer.Serialize(activityEvent, ActivityJsonFields.All);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            // Utf8JsonWriter refuses NaN and infinity inside a JsonNode (the core writes plain doubles as strings
            // already). Write a copy whose nodes hold strings instead; the event itself may be shared with other sinks.
            repaired = true;
            return ActivityJsonSerializer.Serialize(Repair(activityEvent), ActivityJsonFields.All);
        }
    }

    /// <summary>Rebuilds the event of a row: the JSON, with the row's event id and its timestamp to the microsecond.</summary>
    /// <param name="row">The row.</param>
    /// <returns>The event.</returns>
    /// <exception cref="JsonException">The row's JSON is not an event.</exception>
    public static ActivityLogEvent Deserialize(QuarantineRow row)
    {
        var read = ActivityJsonSerializer.Deserialize(row.EventJson);
        return new ActivityLogEvent
        {
            Id = row.EventId,
            Name = read.Name,
            Description = read.Description,
            Actor = read.Actor,
            Resource = read.Resource,
            RelatedResources = read.RelatedResources,
            Changes = read.Changes,
            // The contract's timestamp is Unix seconds; the column keeps the microseconds.
            Timestamp = new DateTimeOffset(DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Utc)),
            AccountId = read.AccountId,
            Context = read.Context,
            Metadata = read.Metadata,
        };
    }

    /// <summary>
    /// A value for a plain text column: NUL and lone surrogates (which PostgreSQL, or the UTF-8 encoder, refuses)
    /// become U+FFFD, and the text is cut to <paramref name="maxLength"/> without splitting a surrogate pair. The JSON
    /// keeps the exact value; these columns are for listing and filtering.
    /// </summary>
    public static string Storable(string value, int maxLength) => ActivityLimits.Fit(value, maxLength)!;

    private static ActivityLogEvent Repair(ActivityLogEvent e) => new()
    {
        Id = e.Id,
        Name = e.Name,
        Description = e.Description,
        Actor = e.Actor,
        Resource = e.Resource,
        RelatedResources = e.RelatedResources,
        Changes = [.. e.Changes.Select(c => new ActivityChange(c.Field, RepairValue(c.From), RepairValue(c.To)))],
        Timestamp = e.Timestamp,
        AccountId = e.AccountId,
        Context = e.Context,
        Metadata = e.Metadata?.ToDictionary(p => p.Key, p => RepairValue(p.Value), StringComparer.Ordinal),
    };

    private static object? RepairValue(object? value) => value is JsonNode node ? RepairNode(node) : value;

    private static JsonNode? RepairNode(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, child) in obj)
                {
                    copy[key] = RepairNode(child);
                }

                return copy;
            case JsonArray array:
                var items = new JsonArray();
                foreach (var child in array)
                {
                    items.Add(RepairNode(child));
                }

                return items;
            default:
                var value = node.AsValue();
                if (value.TryGetValue(out double d) && !double.IsFinite(d))
                {
                    return JsonValue.Create(d.ToString(CultureInfo.InvariantCulture));
                }

                if (value.TryGetValue(out float f) && !float.IsFinite(f))
                {
                    return JsonValue.Create(f.ToString(CultureInfo.InvariantCulture));
                }

                try
                {
                    return JsonNode.Parse(value.ToJsonString());
                }
                catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or NotSupportedException or JsonException)
                {
                    // A value of a type JSON has no contract for: keep what it says of itself, as a string.
                    return JsonValue.Create(Convert.ToString(value.GetValue<object>(), CultureInfo.InvariantCulture));
                }
        }
    }
}

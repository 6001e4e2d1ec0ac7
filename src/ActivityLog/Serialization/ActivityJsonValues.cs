using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActivityLog.Serialization;

/// <summary>Writes and reads the loosely typed values of changes and metadata.</summary>
internal static class ActivityJsonValues
{
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case short s16: writer.WriteNumberValue(s16); break;
            case byte u8: writer.WriteNumberValue(u8); break;
            case sbyte i8: writer.WriteNumberValue(i8); break;
            case ushort u16: writer.WriteNumberValue(u16); break;
            case uint u32: writer.WriteNumberValue(u32); break;
            case ulong u64: writer.WriteNumberValue(u64); break;
            // JSON has no NaN or infinity: write them as the strings System.Text.Json uses for named literals,
            // so one odd value never fails a whole batch.
            case float f when !float.IsFinite(f): writer.WriteStringValue(f.ToString(CultureInfo.InvariantCulture)); break;
            case double d when !double.IsFinite(d): writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture)); break;
            case float f: writer.WriteNumberValue(f); break;
            case double d: writer.WriteNumberValue(d); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case DateTimeOffset dto: writer.WriteStringValue(dto); break;
            case DateTime dt: writer.WriteStringValue(dt); break;
            case DateOnly date: writer.WriteStringValue(date.ToString("O", CultureInfo.InvariantCulture)); break;
            case TimeOnly time: writer.WriteStringValue(time.ToString("O", CultureInfo.InvariantCulture)); break;
            case TimeSpan span: writer.WriteStringValue(span.ToString("c", CultureInfo.InvariantCulture)); break;
            case Guid g: writer.WriteStringValue(g); break;
            case Enum e: writer.WriteStringValue(e.ToString()); break;
            case JsonNode node: node.WriteTo(writer); break;
            case JsonElement element: element.WriteTo(writer); break;
            // The pipeline turns every other value into a JsonNode before a sink sees it; this is the last resort.
            default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    public static object? Read(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => element.TryGetInt64(out long l) ? l : element.TryGetDecimal(out decimal m) ? m : element.GetDouble(),
        JsonValueKind.Object => JsonObject.Create(element.Clone()),
        JsonValueKind.Array => JsonArray.Create(element.Clone()),
        _ => throw new JsonException($"Unexpected JSON value kind {element.ValueKind}."),
    };
}

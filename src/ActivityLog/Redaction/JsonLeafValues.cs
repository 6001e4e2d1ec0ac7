using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActivityLog.Redaction;

/// <summary>Converts JSON leaves to the CLR primitives rewriters receive, and rewriter results back to JSON.</summary>
internal static class JsonLeafValues
{
    /// <summary>Returns the leaf as <see cref="string"/>, <see cref="long"/>, <see cref="decimal"/>, <see cref="double"/>, <see cref="bool"/> or <see langword="null"/>.</summary>
    public static object? ToClr(JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return value.TryGetValue<string>(out var text) ? text : ToElement(value).GetString();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                var number = value.TryGetValue<JsonElement>(out var element) ? element : ToElement(value);
                return number.TryGetInt64(out var integer) ? integer
                    : number.TryGetDecimal(out var exact) ? exact
                    : number.GetDouble();
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            default:
                return value.ToJsonString();
        }
    }

    /// <summary>Converts a rewriter's result into a node; values without a JSON form become their invariant string.</summary>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node.Parent is null ? node : node.DeepClone(),
        JsonElement element => FromElement(element),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        short s16 => JsonValue.Create(s16),
        byte u8 => JsonValue.Create(u8),
        sbyte i8 => JsonValue.Create(i8),
        ushort u16 => JsonValue.Create(u16),
        uint u32 => JsonValue.Create(u32),
        ulong u64 => JsonValue.Create(u64),
        float f when float.IsFinite(f) => JsonValue.Create(f),
        double d when double.IsFinite(d) => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        DateTime dt => JsonValue.Create(dt),
        DateTimeOffset dto => JsonValue.Create(dto),
        Guid g => JsonValue.Create(g),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    /// <summary>Turns a JSON element into a node tree the redactor can walk and edit.</summary>
    public static JsonNode? FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(element.Clone()),
        JsonValueKind.Array => JsonArray.Create(element.Clone()),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(element.Clone()),
    };

    /// <summary>Whether a value node wraps a JSON object or array instead of a leaf (possible when built from a <see cref="JsonElement"/>).</summary>
    public static bool IsContainer(JsonValue value) => value.GetValueKind() is JsonValueKind.Object or JsonValueKind.Array;

    private static JsonElement ToElement(JsonValue value)
    {
        using var document = JsonDocument.Parse(value.ToJsonString());
        return document.RootElement.Clone();
    }
}

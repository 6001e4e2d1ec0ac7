using System.Text;
using System.Text.Json;
using ActivityLog.Serialization;
using static ActivityLog.AspNetCore.Page.PageLayout;

namespace ActivityLog.AspNetCore.Page;

/// <summary>
/// Turns change values into table rows a person can read: nested objects compared key by key and lists element by
/// element (<c>address.city</c>, <c>tags[1]</c>), only the parts that differ, the redaction mask shown as such.
/// </summary>
internal static class ValueRows
{
    /// <summary>One row: the path under the field, and the JSON of each side (<see langword="null"/> where that side has none).</summary>
    public readonly record struct Row(string Path, JsonElement? From, JsonElement? To);

    /// <summary>The differing leaves of a change (the whole field when the values are not both containers).</summary>
    public static List<Row> Compare(string field, object? from, object? to)
    {
        using var before = JsonDocument.Parse(ActivityJsonSerializer.SerializeValue(from));
        using var after = JsonDocument.Parse(ActivityJsonSerializer.SerializeValue(to));
        var rows = new List<Row>();
        Walk(field, before.RootElement.Clone(), after.RootElement.Clone(), rows);
        if (rows.Count == 0)
        {
            // Recorded although equal (an app may record a field it rewrote with the same value): show it as recorded.
            rows.Add(new Row(field, before.RootElement.Clone(), after.RootElement.Clone()));
        }

        return rows;
    }

    /// <summary>The leaves of one value (a state's field, a metadata entry), objects and lists walked.</summary>
    public static List<Row> Leaves(string field, object? value)
    {
        using var document = JsonDocument.Parse(ActivityJsonSerializer.SerializeValue(value));
        var rows = new List<Row>();
        Flatten(field, document.RootElement.Clone(), rows);
        return rows;
    }

    private static void Walk(string path, JsonElement? from, JsonElement? to, List<Row> rows)
    {
        var a = from is { ValueKind: not JsonValueKind.Null } f ? f : (JsonElement?)null;
        var b = to is { ValueKind: not JsonValueKind.Null } t ? t : (JsonElement?)null;
        if (a?.ValueKind == JsonValueKind.Object && b?.ValueKind == JsonValueKind.Object)
        {
            var keys = new List<string>();
            foreach (var p in b.Value.EnumerateObject())
            {
                keys.Add(p.Name);
            }

            foreach (var p in a.Value.EnumerateObject())
            {
                if (!keys.Contains(p.Name))
                {
                    keys.Add(p.Name);
                }
            }

            foreach (string key in keys)
            {
                Walk($"{path}.{key}", Property(a.Value, key), Property(b.Value, key), rows);
            }

            return;
        }

        if (a?.ValueKind == JsonValueKind.Array && b?.ValueKind == JsonValueKind.Array)
        {
            int length = Math.Max(a.Value.GetArrayLength(), b.Value.GetArrayLength());
            for (int i = 0; i < length; i++)
            {
                Walk($"{path}[{i}]", Item(a.Value, i), Item(b.Value, i), rows);
            }

            return;
        }

        if (!JsonElementEquals(a, b))
        {
            rows.Add(new Row(path, a, b));
        }
    }

    private static void Flatten(string path, JsonElement value, List<Row> rows)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when value.EnumerateObject().Any():
                foreach (var p in value.EnumerateObject())
                {
                    Flatten($"{path}.{p.Name}", p.Value, rows);
                }

                break;
            case JsonValueKind.Array when value.GetArrayLength() > 0:
                int i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Flatten($"{path}[{i++}]", item, rows);
                }

                break;
            default:
                rows.Add(new Row(path, null, value));
                break;
        }
    }

    private static JsonElement? Property(JsonElement element, string name) => element.TryGetProperty(name, out var value) ? value : null;

    private static JsonElement? Item(JsonElement element, int index) => index < element.GetArrayLength() ? element[index] : null;

    private static bool JsonElementEquals(JsonElement? a, JsonElement? b) =>
        a is null ? b is null : b is not null && JsonElement.DeepEquals(a.Value, b.Value);

    /// <summary>
    /// Writes a value for a cell: a string as its text (the redaction mask marked), a number or boolean as JSON, a
    /// missing one as the "none" word.
    /// </summary>
    public static void Write(StringBuilder html, JsonElement? value, string mask, string none)
    {
        switch (value)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                html.Append("<span class=\"none\">");
                Text(html, none);
                html.Append("</span>");
                break;
            case { ValueKind: JsonValueKind.String } s when s.GetString() == mask:
                html.Append("<span class=\"filtered\">");
                Text(html, mask);
                html.Append("</span>");
                break;
            case { ValueKind: JsonValueKind.String } s:
                Text(html, s.GetString());
                break;
            case { } other:
                html.Append("<code>");
                Text(html, other.GetRawText());
                html.Append("</code>");
                break;
        }
    }
}

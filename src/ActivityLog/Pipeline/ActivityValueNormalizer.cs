using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ActivityLog.Redaction;
using ActivityLog.Serialization;

namespace ActivityLog.Pipeline;

/// <summary>
/// Turns the loosely typed values of changes and metadata into what sinks can rely on: JSON primitives as CLR values,
/// everything nested as a <see cref="JsonNode"/> tree that the pipeline owns (so the redactor may mask inside it
/// without touching the app's objects).
/// </summary>
internal sealed class ActivityValueNormalizer
{
    private readonly JsonSerializerOptions? _objectOptions;

    public ActivityValueNormalizer(string mask)
    {
        if (JsonSerializer.IsReflectionEnabledByDefault)
        {
            _objectOptions = CreateObjectOptions(mask);
        }
    }

    /// <summary>Whether a value passes through untouched (a JSON primitive); the common case allocates nothing.</summary>
    public static bool IsPrimitive(object? value) => value switch
    {
        null or string or bool or int or long or short or byte or sbyte or ushort or uint or ulong or float or double or decimal => true,
        DateTimeOffset or DateTime or DateOnly or TimeOnly or TimeSpan or Guid or Enum => true,
        _ => false,
    };

    /// <summary>Nesting deeper than this (or a sequence that contains itself) fails, and the pipeline masks the event's values.</summary>
    private const int MaxDepth = 64;

    public object? Normalize(object? value) => IsPrimitive(value) ? value : ToNode(value, 0);

    private JsonNode? ToNode(object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidOperationException($"A change or metadata value is nested deeper than {MaxDepth} levels.");
        }

        switch (value)
        {
            case null:
                return null;
            case JsonNode node:
                return node.DeepClone();
            case JsonElement element:
                return JsonNode.Parse(element.GetRawText());
            case string s:
                return JsonValue.Create(s);
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                var fromPairs = new JsonObject();
                foreach (var (key, item) in pairs)
                {
                    fromPairs[key] = ToNode(item, depth + 1);
                }

                return fromPairs;
            case IDictionary dictionary:
                var fromDictionary = new JsonObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    fromDictionary[Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty] = ToNode(entry.Value, depth + 1);
                }

                return fromDictionary;
            case IEnumerable sequence:
                var array = new JsonArray();
                foreach (var item in sequence)
                {
                    array.Add(ToNode(item, depth + 1));
                }

                return array;
            default:
                return IsPrimitive(value) ? PrimitiveToNode(value) : ObjectToNode(value);
        }
    }

    private static JsonNode PrimitiveToNode(object value)
    {
        // Write through the contract's own value writer so a primitive nested in a dictionary looks the same as a top-level one.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(32);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ActivityJsonValues.Write(writer, value);
        }

        return JsonNode.Parse(buffer.WrittenSpan)!;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only plain objects reach here, and only when reflection-based serialization is enabled; trimmed apps pass JsonNode or dictionaries.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above: guarded by JsonSerializer.IsReflectionEnabledByDefault.")]
    private JsonNode? ObjectToNode(object value) => _objectOptions is null
        ? JsonValue.Create(value.ToString())
        : JsonSerializer.SerializeToNode(value, value.GetType(), _objectOptions);

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Created only when reflection-based serialization is enabled.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Created only when reflection-based serialization is enabled.")]
    private static JsonSerializerOptions CreateObjectOptions(string mask)
    {
        var resolver = new DefaultJsonTypeInfoResolver();
        // A property marked [SensitiveData] or with a data classification is written as the mask, whatever its type.
        resolver.Modifiers.Add(typeInfo =>
        {
            if (typeInfo.Kind != JsonTypeInfoKind.Object)
            {
                return;
            }

            for (int i = 0; i < typeInfo.Properties.Count; i++)
            {
                var property = typeInfo.Properties[i];
                if (property.AttributeProvider is System.Reflection.MemberInfo member && SensitiveMembers.IsSensitive(member))
                {
                    var masked = typeInfo.CreateJsonPropertyInfo(typeof(string), property.Name);
                    masked.Get = _ => mask;
                    typeInfo.Properties[i] = masked;
                }
            }
        });

        var options = new JsonSerializerOptions { TypeInfoResolver = resolver, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        options.MakeReadOnly();
        return options;
    }
}

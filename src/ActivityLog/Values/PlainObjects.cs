using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ActivityLog.Redaction;

namespace ActivityLog.Values;

internal sealed partial class ActivityValueNormalizer
{
    /// <summary>
    /// Plain objects given as values: written with their public properties (snake_case), every member marked
    /// <see cref="SensitiveDataAttribute"/> or with a data classification written as the mask. Where reflection-based
    /// serialization is off (trimmed or native AOT apps) the members cannot be inspected, so the whole value is the
    /// mask: it fails closed, never falling back to <see cref="object.ToString"/>.
    /// </summary>
    private sealed class PlainObjects
    {
        private readonly string _mask;
        private readonly JsonSerializerOptions? _options;

        public PlainObjects(string mask, int maxDepth)
        {
            _mask = mask;
            if (JsonSerializer.IsReflectionEnabledByDefault)
            {
                _options = CreateOptions(mask, maxDepth);
            }
        }

        public JsonNode? ToNode(object value, bool repair)
        {
            if (_options is null)
            {
                return JsonValue.Create(_mask);
            }

            try
            {
                return Serialize(value, _options);
            }
            catch (Exception exception) when (exception is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
            {
                // The serializer's message may quote the value: only its type is said.
                if (!repair)
                {
                    throw new RefusedValue($"is a {value.GetType().Name} that cannot be written as JSON ({exception.GetType().Name}: a cycle, a non-finite number or an unsupported member)");
                }

                return JsonValue.Create(ActivityValueLimits.TruncatedMarker);
            }
        }

        [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reached only when reflection-based serialization is enabled (_options is null otherwise); trimmed and AOT apps get the mask.")]
        [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above: guarded by JsonSerializer.IsReflectionEnabledByDefault.")]
        private static JsonNode? Serialize(object value, JsonSerializerOptions options) =>
            JsonSerializer.SerializeToNode(value, value.GetType(), options);

        [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Created only when reflection-based serialization is enabled.")]
        [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Created only when reflection-based serialization is enabled.")]
        private static JsonSerializerOptions CreateOptions(string mask, int maxDepth)
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

            var options = new JsonSerializerOptions
            {
                TypeInfoResolver = resolver,
                PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
                MaxDepth = maxDepth,
            };
            options.MakeReadOnly();
            return options;
        }
    }
}

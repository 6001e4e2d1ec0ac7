using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
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
    /// serialization is off (trimmed or native AOT apps) the members cannot be inspected by the serializer: a type
    /// registered with <see cref="ActivityRedactionOptions.AddSensitiveProperties{T}()"/> is walked through its
    /// <see cref="PlainObjectShape"/>, any other value is the mask whole, counted and logged. It fails closed, never
    /// falling back to <see cref="object.ToString"/>.
    /// </summary>
    private sealed class PlainObjects
    {
        private readonly string _mask;
        private readonly JsonSerializerOptions? _options;
        private readonly IReadOnlyDictionary<Type, PlainObjectShape> _shapes;
        private readonly MaskedWholeValues? _maskedWhole;

        public PlainObjects(string mask, int maxDepth, IReadOnlyDictionary<Type, PlainObjectShape> shapes, MaskedWholeValues? maskedWhole, bool reflection)
        {
            _mask = mask;
            _shapes = shapes;
            _maskedWhole = maskedWhole;
            // RuntimeFeature.IsDynamicCodeSupported is false under native AOT (the analyzer knows it as the guard of
            // RequiresDynamicCode); JsonSerializer.IsReflectionEnabledByDefault is false in trimmed apps by default.
            if (reflection && RuntimeFeature.IsDynamicCodeSupported && JsonSerializer.IsReflectionEnabledByDefault)
            {
                _options = CreateOptions(mask, maxDepth);
            }
        }

        /// <summary>Whether the reflection serializer writes plain objects (JIT apps); otherwise shapes or the mask.</summary>
        public bool Serializes => _options is not null;

        /// <summary>The shape of a registered type, by exact type.</summary>
        public bool TryGetShape(Type type, [NotNullWhen(true)] out PlainObjectShape? shape) => _shapes.TryGetValue(type, out shape);

        /// <summary>The value whose members cannot be inspected, written as the mask: counted and logged once per type.</summary>
        public JsonValue MaskWhole(object value)
        {
            _maskedWhole?.Masked(value.GetType());
            return JsonValue.Create(_mask);
        }

        public JsonNode? ToNode(object value, bool repair)
        {
            // The guard the AOT analyzer knows for RequiresDynamicCode: no IL3050 suppression is needed for Serialize.
            if (_options is null || !RuntimeFeature.IsDynamicCodeSupported)
            {
                return MaskWhole(value);
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

        // Proved by AotPublishTests (a native AOT app never takes this path: registered types are walked, others masked)
        // and by PlainObjectShapeTests (with reflection off the normalizer never calls the serializer).
        [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reached only when _options is set, which needs reflection-based serialization enabled and dynamic code: trimmed apps (reflection off by default) and native AOT apps walk registered shapes or write the mask instead.")]
        [RequiresDynamicCode("The reflection serializer; called only where RuntimeFeature.IsDynamicCodeSupported.")]
        private static JsonNode? Serialize(object value, JsonSerializerOptions options) =>
            JsonSerializer.SerializeToNode(value, value.GetType(), options);

        [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Called only where reflection-based serialization is enabled (see the constructor); tests as above.")]
        [RequiresDynamicCode("The reflection resolver; called only where RuntimeFeature.IsDynamicCodeSupported.")]
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

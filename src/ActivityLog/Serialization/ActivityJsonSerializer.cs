using ActivityLog.Serialization;
using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ActivityLog;

/// <summary>
/// The JSON contract of an activity event and of the webhook payload <c>{"events":[…]}</c>, field for field as in
/// the seed payload. Sinks, stores and tests use it so that every package writes the same bytes.
/// </summary>
/// <remarks>Built on System.Text.Json source generation: no reflection, trimming and AOT safe. Thread-safe.</remarks>
public static class ActivityJsonSerializer
{
    private static readonly JsonSerializerOptions?[] OptionsByFields = new JsonSerializerOptions?[(int)ActivityJsonFields.All + 1];

    /// <summary>The serializer options for a set of optional fields (cached: one instance per combination).</summary>
    /// <param name="fields">The optional fields to write.</param>
    /// <returns>Options whose resolver knows <see cref="ActivityLogEvent"/>, <see cref="ActivityPayload"/> and JSON values.</returns>
    public static JsonSerializerOptions GetOptions(ActivityJsonFields fields = ActivityJsonFields.None)
    {
        int index = (int)(fields & ActivityJsonFields.All);
        return Volatile.Read(ref OptionsByFields[index]) ?? Create(index);

        static JsonSerializerOptions Create(int index)
        {
            var options = new JsonSerializerOptions(ActivityLogJsonContext.Default.Options);
            options.Converters.Add(new ActivityLogEventJsonConverter((ActivityJsonFields)index));
            options.TypeInfoResolver = ActivityLogJsonContext.Default;
            options.MakeReadOnly();
            return Interlocked.CompareExchange(ref OptionsByFields[index], options, null) ?? options;
        }
    }

    /// <summary>Writes the webhook payload <c>{"events":[…]}</c>.</summary>
    /// <param name="events">The events, already processed by the pipeline.</param>
    /// <param name="fields">Optional fields to add to each event.</param>
    /// <returns>The UTF-8 JSON.</returns>
    public static byte[] SerializePayload(IReadOnlyList<ActivityLogEvent> events, ActivityJsonFields fields = ActivityJsonFields.None)
    {
        ArgumentNullException.ThrowIfNull(events);
        return JsonSerializer.SerializeToUtf8Bytes(new ActivityPayload(events), PayloadInfo(fields));
    }

    /// <summary>Writes the webhook payload <c>{"events":[…]}</c> into a buffer (for example a pooled one).</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="events">The events, already processed by the pipeline.</param>
    /// <param name="fields">Optional fields to add to each event.</param>
    public static void WritePayload(IBufferWriter<byte> destination, IReadOnlyList<ActivityLogEvent> events, ActivityJsonFields fields = ActivityJsonFields.None)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(events);
        using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { Encoder = GetOptions(fields).Encoder, SkipValidation = true });
        JsonSerializer.Serialize(writer, new ActivityPayload(events), PayloadInfo(fields));
    }

    /// <summary>Writes one event as a JSON object (one line of a JSON Lines payload).</summary>
    /// <param name="activityEvent">The event.</param>
    /// <param name="fields">Optional fields to add.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(ActivityLogEvent activityEvent, ActivityJsonFields fields = ActivityJsonFields.None)
    {
        ArgumentNullException.ThrowIfNull(activityEvent);
        return JsonSerializer.Serialize(activityEvent, EventInfo(fields));
    }

    /// <summary>
    /// Writes one change or metadata value as compact JSON text, exactly as a payload carries it: for showing a value
    /// (the page's change tables) and for comparing two values.
    /// </summary>
    /// <param name="value">The value: <see langword="null"/>, a primitive, a <see cref="System.Text.Json.Nodes.JsonNode"/> or a <see cref="JsonElement"/>.</param>
    /// <returns>The JSON text, such as <c>"Jane"</c>, <c>42</c> or <c>{"city":"Oslo"}</c>.</returns>
    public static string SerializeValue(object? value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = GetOptions().Encoder }))
        {
            ActivityJsonValues.Write(writer, value);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes one event to a <see cref="Utf8JsonWriter"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="activityEvent">The event.</param>
    /// <param name="fields">Optional fields to add.</param>
    public static void Write(Utf8JsonWriter writer, ActivityLogEvent activityEvent, ActivityJsonFields fields = ActivityJsonFields.None)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(activityEvent);
        JsonSerializer.Serialize(writer, activityEvent, EventInfo(fields));
    }

    /// <summary>Reads one event written by this serializer (stores and receivers use it).</summary>
    /// <param name="json">The JSON object.</param>
    /// <returns>The event.</returns>
    /// <exception cref="JsonException">The JSON is not an activity event.</exception>
    public static ActivityLogEvent Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize(json, EventInfo(ActivityJsonFields.All)) ?? throw new JsonException("The JSON is null.");
    }

    /// <summary>Reads a webhook payload <c>{"events":[…]}</c>.</summary>
    /// <param name="utf8Json">The payload.</param>
    /// <returns>The events.</returns>
    /// <exception cref="JsonException">The JSON is not a payload.</exception>
    public static IReadOnlyList<ActivityLogEvent> DeserializePayload(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, PayloadInfo(ActivityJsonFields.All))?.Events ?? throw new JsonException("The JSON is null.");

    private static JsonTypeInfo<ActivityPayload> PayloadInfo(ActivityJsonFields fields) =>
        (JsonTypeInfo<ActivityPayload>)GetOptions(fields).GetTypeInfo(typeof(ActivityPayload));

    private static JsonTypeInfo<ActivityLogEvent> EventInfo(ActivityJsonFields fields) =>
        (JsonTypeInfo<ActivityLogEvent>)GetOptions(fields).GetTypeInfo(typeof(ActivityLogEvent));
}

/// <summary>The webhook payload: <c>{"events":[…]}</c>.</summary>
/// <param name="Events">The events.</param>
internal sealed record ActivityPayload([property: JsonPropertyName("events")] IReadOnlyList<ActivityLogEvent> Events);

/// <summary>Source-generated metadata for the contract's types.</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(ActivityPayload))]
[JsonSerializable(typeof(ActivityLogEvent))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
internal sealed partial class ActivityLogJsonContext : JsonSerializerContext;

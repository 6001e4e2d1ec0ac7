using System.Buffers;
using System.Text.Json;

namespace ActivityLog.Serialization;

/// <summary>
/// The parts of an event in the JSON contract's shapes, one at a time: for stores that keep changes, related
/// resources, context and metadata in JSON columns, so that a stored row reads back exactly as the payload writes it.
/// </summary>
/// <remarks>
/// Changes are written as in the payload (<c>{"field":{"to":…,"from":…}}</c>), related resources as an array of
/// resources, context with the snake_case names of the payload's optional <c>context</c> field. Thread-safe.
/// </remarks>
internal static class ActivityJsonParts
{
    /// <summary>Writes changes as <c>{"field":{"to":…,"from":…}}</c>; <c>{}</c> when there are none.</summary>
    /// <param name="changes">The changes.</param>
    /// <returns>The JSON text.</returns>
    public static string SerializeChanges(IReadOnlyList<ActivityChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return Write(changes, ActivityLogEventJsonConverter.WriteChanges);
    }

    /// <summary>Reads changes written by <see cref="SerializeChanges"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> or empty reads as no changes.</param>
    /// <returns>The changes, in the order written.</returns>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static IReadOnlyList<ActivityChange> DeserializeChanges(string? json) =>
        string.IsNullOrEmpty(json) ? [] : Read(json, ActivityLogEventJsonConverter.ReadChanges);

    /// <summary>Writes resources as a JSON array, or returns <see langword="null"/> when there are none.</summary>
    /// <param name="resources">The resources.</param>
    /// <returns>The JSON text, or <see langword="null"/>.</returns>
    public static string? SerializeResources(IReadOnlyList<ActivityResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        return resources.Count == 0 ? null : Write(resources, ActivityLogEventJsonConverter.WriteResources);
    }

    /// <summary>Reads resources written by <see cref="SerializeResources"/>.</summary>
    /// <param name="json">The JSON text, or <see langword="null"/> for none.</param>
    /// <returns>The resources.</returns>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static IReadOnlyList<ActivityResource> DeserializeResources(string? json) =>
        string.IsNullOrEmpty(json) ? [] : Read(json, ActivityLogEventJsonConverter.ReadResources);

    /// <summary>Writes a context as a JSON object, or returns <see langword="null"/> for no context.</summary>
    /// <param name="context">The context.</param>
    /// <returns>The JSON text, or <see langword="null"/>.</returns>
    public static string? SerializeContext(ActivityRequestContext? context) =>
        context is null ? null : Write(context, ActivityLogEventJsonConverter.WriteContext);

    /// <summary>Reads a context written by <see cref="SerializeContext"/>.</summary>
    /// <param name="json">The JSON text, or <see langword="null"/>.</param>
    /// <returns>The context, or <see langword="null"/>.</returns>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static ActivityRequestContext? DeserializeContext(string? json) =>
        string.IsNullOrEmpty(json) ? null : Read(json, ActivityLogEventJsonConverter.ReadContext);

    /// <summary>Writes metadata as a JSON object, or returns <see langword="null"/> for no metadata.</summary>
    /// <param name="metadata">The metadata, already normalized and redacted by the pipeline.</param>
    /// <returns>The JSON text, or <see langword="null"/>.</returns>
    public static string? SerializeMetadata(IReadOnlyDictionary<string, object?>? metadata) =>
        metadata is null ? null : Write(metadata, ActivityLogEventJsonConverter.WriteMetadata);

    /// <summary>Reads metadata written by <see cref="SerializeMetadata"/>.</summary>
    /// <param name="json">The JSON text, or <see langword="null"/>.</param>
    /// <returns>The metadata, or <see langword="null"/>.</returns>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static IReadOnlyDictionary<string, object?>? DeserializeMetadata(string? json) =>
        string.IsNullOrEmpty(json) ? null : Read(json, ActivityLogEventJsonConverter.ReadMetadata);

    private static string Write<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer, value);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static T Read<T>(string json, Func<JsonElement, T> read)
    {
        using var document = JsonDocument.Parse(json);
        return read(document.RootElement);
    }
}

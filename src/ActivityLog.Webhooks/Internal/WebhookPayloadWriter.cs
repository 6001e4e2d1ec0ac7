using System.Buffers;
using System.Text.Json;
using ActivityLog.Serialization;

namespace ActivityLog.Webhooks.Internal;

/// <summary>The content type and the JSON writer of an endpoint's format, on the core's JSON contract.</summary>
internal static class WebhookPayloadWriter
{
    public static string ContentType(WebhookPayloadFormat format) =>
        format == WebhookPayloadFormat.JsonLines ? "application/x-ndjson" : "application/json";

    /// <summary>A writer with the contract's encoder, for writing events one by one.</summary>
    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> destination, ActivityJsonFields fields) =>
        new(destination, new JsonWriterOptions { Encoder = ActivityJsonSerializer.GetOptions(fields).Encoder, SkipValidation = true });
}

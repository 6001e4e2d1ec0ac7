using System.Buffers;
using System.Text.Json;
using ActivityLog.Serialization;

namespace ActivityLog.Webhooks.Internal;

/// <summary>Writes a batch in an endpoint's format through the core's JSON contract.</summary>
internal static class WebhookPayloadWriter
{
    public static string ContentType(WebhookPayloadFormat format) =>
        format == WebhookPayloadFormat.JsonLines ? "application/x-ndjson" : "application/json";

    public static void Write(IBufferWriter<byte> destination, IReadOnlyList<ActivityEvent> events, WebhookPayloadFormat format, ActivityJsonFields fields)
    {
        if (format == WebhookPayloadFormat.Json)
        {
            ActivityJsonSerializer.WritePayload(destination, events, fields);
            return;
        }

        var options = ActivityJsonSerializer.GetOptions(fields);
        using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true });
        foreach (var activity in events)
        {
            ActivityJsonSerializer.Write(writer, activity, fields);
            writer.Flush();
            writer.Reset(destination);
            destination.Write("\n"u8);
        }
    }

    /// <summary>A writer with the contract's encoder, for writing events one by one.</summary>
    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> destination, ActivityJsonFields fields) =>
        new(destination, new JsonWriterOptions { Encoder = ActivityJsonSerializer.GetOptions(fields).Encoder, SkipValidation = true });
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActivityLog.Serialization;

/// <summary>
/// Writes an <see cref="ActivityLogEvent"/> in the contract's field order and JSON types, and reads it back.
/// </summary>
/// <remarks>
/// Written by hand rather than generated from attributes because the contract is not the object's shape: the actor's
/// id keeps the JSON type the app gave it, a resource id is always a string, the timestamp is Unix seconds, and inside
/// a change <c>to</c> comes before <c>from</c>.
/// </remarks>
internal sealed class ActivityLogEventJsonConverter(ActivityJsonFields fields) : JsonConverter<ActivityLogEvent>
{
    public ActivityJsonFields Fields { get; } = fields;

    public override void Write(Utf8JsonWriter writer, ActivityLogEvent value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.Event, value.Name);
        writer.WriteString(Names.Description, value.Description);

        writer.WritePropertyName(Names.Actor);
        WriteActor(writer, value.Actor);

        writer.WritePropertyName(Names.Resource);
        if (value.Resource is { } resource)
        {
            WriteResource(writer, resource);
        }
        else
        {
            writer.WriteNullValue();
        }

        if (value.RelatedResources.Count > 0)
        {
            writer.WriteStartArray(Names.RelatedResources);
            foreach (var related in value.RelatedResources)
            {
                WriteResource(writer, related);
            }

            writer.WriteEndArray();
        }

        writer.WritePropertyName(Names.Changes);
        WriteChanges(writer, value.Changes);
        writer.WriteNumber(Names.Timestamp, value.Timestamp.ToUnixTimeSeconds());

        if ((Fields & ActivityJsonFields.Id) != 0)
        {
            writer.WriteString(Names.Id, value.Id);
        }

        if ((Fields & ActivityJsonFields.AccountId) != 0)
        {
            writer.WriteString(Names.AccountId, value.AccountId);
        }

        if ((Fields & ActivityJsonFields.Context) != 0)
        {
            writer.WritePropertyName(Names.Context);
            WriteContext(writer, value.Context);
        }

        if ((Fields & ActivityJsonFields.Metadata) != 0)
        {
            writer.WritePropertyName(Names.Metadata);
            WriteMetadata(writer, value.Metadata);
        }

        writer.WriteEndObject();
    }

    public override ActivityLogEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return ReadEvent(document.RootElement);
    }

    internal static ActivityLogEvent ReadEvent(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("An activity event must be a JSON object.");
        }

        string name = root.TryGetProperty(Names.Event.EncodedUtf8Bytes, out var e) && e.GetString() is { Length: > 0 } n
            ? n
            : throw new JsonException("An activity event needs a non-empty 'event'.");

        var changes = root.TryGetProperty(Names.Changes.EncodedUtf8Bytes, out var changesElement) ? ReadChanges(changesElement) : [];
        var related = root.TryGetProperty(Names.RelatedResources.EncodedUtf8Bytes, out var relatedElement) ? ReadResources(relatedElement) : [];

        return new ActivityLogEvent
        {
            Name = name,
            Id = root.TryGetProperty(Names.Id.EncodedUtf8Bytes, out var id) && id.ValueKind == JsonValueKind.String ? id.GetGuid() : Guid.Empty,
            Description = root.TryGetProperty(Names.Description.EncodedUtf8Bytes, out var d) ? d.GetString() : null,
            Actor = root.TryGetProperty(Names.Actor.EncodedUtf8Bytes, out var actor) ? ReadActor(actor) : default,
            Resource = root.TryGetProperty(Names.Resource.EncodedUtf8Bytes, out var r) ? ReadResource(r) : null,
            RelatedResources = related,
            Changes = changes,
            Timestamp = root.TryGetProperty(Names.Timestamp.EncodedUtf8Bytes, out var ts) && ts.ValueKind == JsonValueKind.Number
                ? DateTimeOffset.FromUnixTimeSeconds(ts.GetInt64())
                : default,
            AccountId = root.TryGetProperty(Names.AccountId.EncodedUtf8Bytes, out var a) ? a.GetString() : null,
            Context = root.TryGetProperty(Names.Context.EncodedUtf8Bytes, out var c) ? ReadContext(c) : null,
            Metadata = root.TryGetProperty(Names.Metadata.EncodedUtf8Bytes, out var m) ? ReadMetadata(m) : null,
        };
    }

    internal static void WriteChanges(Utf8JsonWriter writer, IReadOnlyList<ActivityChange> changes)
    {
        writer.WriteStartObject();
        foreach (var change in changes)
        {
            writer.WriteStartObject(change.Field);
            writer.WritePropertyName(Names.To);
            ActivityJsonValues.Write(writer, change.To);
            writer.WritePropertyName(Names.From);
            ActivityJsonValues.Write(writer, change.From);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    internal static List<ActivityChange> ReadChanges(JsonElement element)
    {
        var changes = new List<ActivityChange>();
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var change in element.EnumerateObject())
            {
                object? to = change.Value.TryGetProperty(Names.To.EncodedUtf8Bytes, out var t) ? ActivityJsonValues.Read(t) : null;
                object? from = change.Value.TryGetProperty(Names.From.EncodedUtf8Bytes, out var f) ? ActivityJsonValues.Read(f) : null;
                changes.Add(new ActivityChange(change.Name, from, to));
            }
        }

        return changes;
    }

    internal static void WriteResources(Utf8JsonWriter writer, IReadOnlyList<ActivityResource> resources)
    {
        writer.WriteStartArray();
        foreach (var resource in resources)
        {
            WriteResource(writer, resource);
        }

        writer.WriteEndArray();
    }

    internal static List<ActivityResource> ReadResources(JsonElement element)
    {
        var resources = new List<ActivityResource>();
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (ReadResource(item) is { } resource)
                {
                    resources.Add(resource);
                }
            }
        }

        return resources;
    }

    internal static Dictionary<string, object?>? ReadMetadata(JsonElement element) => element.ValueKind == JsonValueKind.Object
        ? element.EnumerateObject().ToDictionary(p => p.Name, p => ActivityJsonValues.Read(p.Value), StringComparer.Ordinal)
        : null;

    private static void WriteActor(Utf8JsonWriter writer, ActivityActor actor)
    {
        writer.WriteStartObject();
        if (actor.HasNumericId)
        {
            writer.WriteNumber(Names.Id, actor.Identifier.Number);
        }
        else if (actor.Id is { } id)
        {
            writer.WriteString(Names.Id, id);
        }

        writer.WriteString(Names.Type, actor.Type);
        if (actor.Name is { } name)
        {
            writer.WriteString(Names.Name, name);
        }

        writer.WriteEndObject();
    }

    private static ActivityActor ReadActor(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object ||
            !element.TryGetProperty(Names.Type.EncodedUtf8Bytes, out var typeElement) ||
            typeElement.GetString() is not { Length: > 0 } type ||
            type == ActivityActorTypes.Unknown)
        {
            return ActivityActor.Unknown;
        }

        string? name = element.TryGetProperty(Names.Name.EncodedUtf8Bytes, out var n) ? n.GetString() : null;
        if (element.TryGetProperty(Names.Id.EncodedUtf8Bytes, out var id))
        {
            if (id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out long number))
            {
                return new ActivityActor(type, number, name);
            }

            return new ActivityActor(type, id.ValueKind == JsonValueKind.Null ? null : id.ToString(), name);
        }

        return new ActivityActor(type, (string?)null, name);
    }

    private static void WriteResource(Utf8JsonWriter writer, ActivityResource resource)
    {
        writer.WriteStartObject();
        if (resource.Id is { } id)
        {
            writer.WriteString(Names.Id, id);
        }

        writer.WriteString(Names.Type, resource.Type);
        if (resource.Name is { } name)
        {
            writer.WriteString(Names.Name, name);
        }

        writer.WriteEndObject();
    }

    private static ActivityResource? ReadResource(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object ||
            !element.TryGetProperty(Names.Type.EncodedUtf8Bytes, out var typeElement) ||
            typeElement.GetString() is not { Length: > 0 } type)
        {
            return null;
        }

        string? id = element.TryGetProperty(Names.Id.EncodedUtf8Bytes, out var i) && i.ValueKind != JsonValueKind.Null ? i.ToString() : null;
        string? name = element.TryGetProperty(Names.Name.EncodedUtf8Bytes, out var n) ? n.GetString() : null;
        return new ActivityResource(type, id, name);
    }

    internal static void WriteContext(Utf8JsonWriter writer, ActivityRequestContext? context)
    {
        if (context is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        writer.WriteString(Names.IpAddress, context.IpAddress);
        writer.WriteString(Names.UserAgent, context.UserAgent);
        writer.WriteString(Names.AuthMethod, context.AuthMethod);
        writer.WriteString(Names.CorrelationId, context.CorrelationId);
        writer.WriteEndObject();
    }

    internal static ActivityRequestContext? ReadContext(JsonElement element) => element.ValueKind != JsonValueKind.Object ? null : new ActivityRequestContext
    {
        IpAddress = element.TryGetProperty(Names.IpAddress.EncodedUtf8Bytes, out var ip) ? ip.GetString() : null,
        UserAgent = element.TryGetProperty(Names.UserAgent.EncodedUtf8Bytes, out var ua) ? ua.GetString() : null,
        AuthMethod = element.TryGetProperty(Names.AuthMethod.EncodedUtf8Bytes, out var am) ? am.GetString() : null,
        CorrelationId = element.TryGetProperty(Names.CorrelationId.EncodedUtf8Bytes, out var ci) ? ci.GetString() : null,
    };

    internal static void WriteMetadata(Utf8JsonWriter writer, IReadOnlyDictionary<string, object?>? metadata)
    {
        if (metadata is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        foreach (var (key, value) in metadata)
        {
            writer.WritePropertyName(key);
            ActivityJsonValues.Write(writer, value);
        }

        writer.WriteEndObject();
    }

    /// <summary>The contract's property names, encoded once.</summary>
    internal static class Names
    {
        public static readonly JsonEncodedText Event = JsonEncodedText.Encode("event");
        public static readonly JsonEncodedText Description = JsonEncodedText.Encode("description");
        public static readonly JsonEncodedText Actor = JsonEncodedText.Encode("actor");
        public static readonly JsonEncodedText Resource = JsonEncodedText.Encode("resource");
        public static readonly JsonEncodedText RelatedResources = JsonEncodedText.Encode("related_resources");
        public static readonly JsonEncodedText Changes = JsonEncodedText.Encode("changes");
        public static readonly JsonEncodedText To = JsonEncodedText.Encode("to");
        public static readonly JsonEncodedText From = JsonEncodedText.Encode("from");
        public static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
        public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
        public static readonly JsonEncodedText AccountId = JsonEncodedText.Encode("account_id");
        public static readonly JsonEncodedText Context = JsonEncodedText.Encode("context");
        public static readonly JsonEncodedText Metadata = JsonEncodedText.Encode("metadata");
        public static readonly JsonEncodedText IpAddress = JsonEncodedText.Encode("ip_address");
        public static readonly JsonEncodedText UserAgent = JsonEncodedText.Encode("user_agent");
        public static readonly JsonEncodedText AuthMethod = JsonEncodedText.Encode("auth_method");
        public static readonly JsonEncodedText CorrelationId = JsonEncodedText.Encode("correlation_id");
    }
}

using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActivityLog.Serialization;

namespace ActivityLog.Testing;

/// <summary>
/// Renders events as stable, indented JSON for snapshot assertions with any snapshot tool: the contract's field
/// order, and volatile values (ids, timestamps, correlation ids, or keys you name) replaced by numbered placeholders.
/// </summary>
public static class ActivitySnapshot
{
    /// <summary>Renders events as the webhook payload <c>{"events":[…]}</c>.</summary>
    /// <param name="events">The events.</param>
    /// <param name="options">What to include and scrub; <see langword="null"/> for the defaults.</param>
    /// <returns>Indented JSON with <c>\n</c> line endings.</returns>
    public static string Render(IEnumerable<ActivityLogEvent> events, ActivitySnapshotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        options ??= new ActivitySnapshotOptions();
        var payload = JsonNode.Parse(ActivityJsonSerializer.SerializePayload([.. events], options.Fields))!;
        var scrubber = new Scrubber(options);
        foreach (var item in payload["events"]!.AsArray())
        {
            scrubber.Scrub(item!.AsObject());
        }

        return Write(payload);
    }

    /// <summary>Renders one event.</summary>
    /// <param name="activityEvent">The event.</param>
    /// <param name="options">What to include and scrub.</param>
    /// <returns>Indented JSON.</returns>
    public static string Render(ActivityLogEvent activityEvent, ActivitySnapshotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(activityEvent);
        options ??= new ActivitySnapshotOptions();
        var node = JsonNode.Parse(ActivityJsonSerializer.Serialize(activityEvent, options.Fields))!.AsObject();
        new Scrubber(options).Scrub(node);
        return Write(node);
    }

    private static string Write(JsonNode node) => node.ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private sealed class Scrubber(ActivitySnapshotOptions options)
    {
        private readonly Dictionary<string, Dictionary<string, int>> _seen = new(StringComparer.Ordinal);

        public void Scrub(JsonObject activity)
        {
            if (options.ScrubIds)
            {
                Replace(activity, "id", "Id");
            }

            if (options.ScrubTimestamps)
            {
                Replace(activity, "timestamp", "Timestamp");
            }

            if (options.ScrubCorrelationIds && activity["context"] is JsonObject context)
            {
                Replace(context, "correlation_id", "CorrelationId");
            }

            if (options.ScrubKeys.Count > 0)
            {
                ScrubKeys(activity);
            }
        }

        private void ScrubKeys(JsonNode node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var key in obj.Select(p => p.Key).ToList())
                    {
                        if (options.ScrubKeys.Contains(key))
                        {
                            Replace(obj, key, key);
                        }
                        else if (obj[key] is { } child)
                        {
                            ScrubKeys(child);
                        }
                    }

                    break;
                case JsonArray array:
                    foreach (var child in array)
                    {
                        if (child is not null)
                        {
                            ScrubKeys(child);
                        }
                    }

                    break;
            }
        }

        private void Replace(JsonObject obj, string key, string label)
        {
            if (!obj.TryGetPropertyValue(key, out var value) || value is null)
            {
                return;
            }

            // The same value gets the same placeholder, so a snapshot still shows which events share an id.
            if (!_seen.TryGetValue(label, out var numbers))
            {
                numbers = new Dictionary<string, int>(StringComparer.Ordinal);
                _seen[label] = numbers;
            }

            string raw = value.ToJsonString();
            if (!numbers.TryGetValue(raw, out int number))
            {
                number = numbers.Count + 1;
                numbers[raw] = number;
            }

            obj[key] = $"{{{label}_{number}}}";
        }
    }
}

/// <summary>What <see cref="ActivitySnapshot"/> includes and scrubs.</summary>
public sealed class ActivitySnapshotOptions
{
    /// <summary>Optional fields to include beyond the seed's.</summary>
    /// <value><see cref="ActivityJsonFields.None"/>: exactly the webhook payload.</value>
    public ActivityJsonFields Fields { get; set; } = ActivityJsonFields.None;

    /// <summary>Replace event ids with <c>{Id_1}</c>, <c>{Id_2}</c>, ….</summary>
    /// <value><see langword="true"/>.</value>
    public bool ScrubIds { get; set; } = true;

    /// <summary>Replace timestamps with <c>{Timestamp_1}</c>, …. Turn off when a <c>FakeTimeProvider</c> fixes the time.</summary>
    /// <value><see langword="true"/>.</value>
    public bool ScrubTimestamps { get; set; } = true;

    /// <summary>Replace correlation ids with <c>{CorrelationId_1}</c>, ….</summary>
    /// <value><see langword="true"/>.</value>
    public bool ScrubCorrelationIds { get; set; } = true;

    /// <summary>More keys whose values are replaced wherever they appear (for example <c>ip_address</c>).</summary>
    /// <value>Empty.</value>
    public ISet<string> ScrubKeys { get; } = new HashSet<string>(StringComparer.Ordinal);
}

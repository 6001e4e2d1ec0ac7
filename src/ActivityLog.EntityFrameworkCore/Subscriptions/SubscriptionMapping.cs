using System.Buffers;
using System.Text;
using System.Text.Json;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.Extensibility;

namespace ActivityLog.EntityFrameworkCore.Subscriptions;

/// <summary>
/// Converts subscriptions and attempts to rows and back, and checks what the tables could not hold: a clear
/// <see cref="ArgumentException"/> naming the field, never its value (URLs and secrets stay out of messages).
/// </summary>
internal static class SubscriptionMapping
{
    public static SubscriptionRow ToRow(ActivitySubscription s)
    {
        Validate(s);
        var row = new SubscriptionRow { Id = s.Id };
        Copy(s, row);
        return row;
    }

    /// <summary>Every column but the key, as <see cref="ToRow(ActivitySubscription)"/> writes them (validated already).</summary>
    public static void Copy(ActivitySubscription s, SubscriptionRow row)
    {
        row.AccountId = s.AccountId;
        row.Kind = s.Kind;
        row.Description = s.Description;
        row.Url = s.Url;
        row.Format = s.Format;
        row.Events = WriteEvents(s.Events);
        row.Enabled = s.Enabled;
        row.DisabledReason = s.DisabledReason;
        row.ProtectedSecrets = s.ProtectedSecrets;
        row.FailingSince = s.FailingSince is { } f ? OutboxTime.Truncate(f) : null;
        row.CreatedAt = OutboxTime.Truncate(s.CreatedAt);
        row.CreatedBy = s.CreatedBy;
        row.UpdatedAt = OutboxTime.Truncate(s.UpdatedAt);
        row.UpdatedBy = s.UpdatedBy;
        row.DeletedAt = s.DeletedAt is { } d ? OutboxTime.Truncate(d) : null;
        row.Version = s.Version;
    }

    public static ActivitySubscription ToSubscription(SubscriptionRow row) => new()
    {
        Id = row.Id,
        AccountId = row.AccountId,
        Kind = row.Kind,
        Description = row.Description,
        Url = row.Url,
        Format = row.Format,
        Events = ReadEvents(row.Events),
        Enabled = row.Enabled,
        DisabledReason = row.DisabledReason,
        ProtectedSecrets = row.ProtectedSecrets,
        FailingSince = row.FailingSince is { } f ? OutboxTime.Read(f) : null,
        CreatedAt = OutboxTime.Read(row.CreatedAt),
        CreatedBy = row.CreatedBy,
        UpdatedAt = OutboxTime.Read(row.UpdatedAt),
        UpdatedBy = row.UpdatedBy,
        DeletedAt = row.DeletedAt is { } d ? OutboxTime.Read(d) : null,
        Version = row.Version,
    };

    public static DeliveryAttemptRow ToRow(ActivityDeliveryAttempt a)
    {
        ArgumentNullException.ThrowIfNull(a);
        Require(a.Id != Guid.Empty, "ActivityDeliveryAttempt.Id", "must not be empty");
        Text(a.AccountId, ActivityLimits.MaxIdLength, "ActivityDeliveryAttempt.AccountId");
        Require(a.SubscriptionId != Guid.Empty, "ActivityDeliveryAttempt.SubscriptionId", "must not be empty");
        Text(a.MessageId, DeliveryAttemptRow.MaxMessageIdLength, "ActivityDeliveryAttempt.MessageId");
        Require(a.Attempt >= 1, "ActivityDeliveryAttempt.Attempt", "counts from 1");
        Require(a.EventCount >= 0, "ActivityDeliveryAttempt.EventCount", "must not be negative");
        Require(a.Duration >= TimeSpan.Zero, "ActivityDeliveryAttempt.Duration", "must not be negative");
        return new DeliveryAttemptRow
        {
            Id = a.Id,
            AccountId = a.AccountId,
            SubscriptionId = a.SubscriptionId,
            MessageId = a.MessageId,
            AttemptedAt = OutboxTime.Truncate(a.AttemptedAt),
            Attempt = a.Attempt,
            EventCount = a.EventCount,
            Succeeded = a.Succeeded,
            StatusCode = a.StatusCode,
            // Bounded by contract: what is longer is cut, not refused (a receiver's answer is not the caller's fault).
            Error = Cut(a.Error),
            DurationMicroseconds = a.Duration.Ticks / TimeSpan.TicksPerMicrosecond,
            ResponseExcerpt = Cut(a.ResponseExcerpt),
            IsTest = a.IsTest,
        };
    }

    public static ActivityDeliveryAttempt ToAttempt(DeliveryAttemptRow row) => new()
    {
        Id = row.Id,
        AccountId = row.AccountId,
        SubscriptionId = row.SubscriptionId,
        MessageId = row.MessageId,
        AttemptedAt = OutboxTime.Read(row.AttemptedAt),
        Attempt = row.Attempt,
        EventCount = row.EventCount,
        Succeeded = row.Succeeded,
        StatusCode = row.StatusCode,
        Error = row.Error,
        Duration = TimeSpan.FromTicks(row.DurationMicroseconds * TimeSpan.TicksPerMicrosecond),
        ResponseExcerpt = row.ResponseExcerpt,
        IsTest = row.IsTest,
    };

    public static void Validate(ActivitySubscription s)
    {
        ArgumentNullException.ThrowIfNull(s);
        Require(s.Id != Guid.Empty, "ActivitySubscription.Id", "must not be empty");
        Text(s.AccountId, ActivityLimits.MaxIdLength, "ActivitySubscription.AccountId");
        Text(s.Kind, SubscriptionRow.MaxKindLength, "ActivitySubscription.Kind");
        Text(s.Description, ActivitySubscription.MaxDescriptionLength, "ActivitySubscription.Description", allowEmpty: true);
        Text(s.Url, ActivitySubscription.MaxUrlLength, "ActivitySubscription.Url");
        Text(s.Format, SubscriptionRow.MaxFormatLength, "ActivitySubscription.Format");
        Require(s.Events is not null, "ActivitySubscription.Events", "must not be null");
        Require(s.Events!.Count <= ActivitySubscription.MaxEvents, "ActivitySubscription.Events", $"holds at most {ActivitySubscription.MaxEvents} names or patterns");
        foreach (string name in s.Events)
        {
            Text(name, ActivityLimits.MaxEventNameLength, "ActivitySubscription.Events");
        }

        Optional(s.DisabledReason, SubscriptionRow.MaxReasonLength, "ActivitySubscription.DisabledReason");
        Text(s.ProtectedSecrets, int.MaxValue, "ActivitySubscription.ProtectedSecrets");
        Optional(s.CreatedBy, ActivityLimits.MaxIdLength, "ActivitySubscription.CreatedBy");
        Optional(s.UpdatedBy, ActivityLimits.MaxIdLength, "ActivitySubscription.UpdatedBy");
        Require(s.Version >= 1, "ActivitySubscription.Version", "counts from 1");
    }

    private static void Text(string? value, int max, string field, bool allowEmpty = false)
    {
        Require(value is not null, field, "is required");
        Require(allowEmpty || value!.Length > 0, field, "must not be empty");
        Require(value!.Length <= max, field, $"is longer than {max} characters");
        Require(!value.Contains('\0', StringComparison.Ordinal), field, "contains a NUL character, which no store keeps");
    }

    private static void Optional(string? value, int max, string field)
    {
        if (value is not null)
        {
            Text(value, max, field, allowEmpty: true);
        }
    }

    private static void Require(bool condition, string field, string problem)
    {
        if (!condition)
        {
            // The field is the parameter's name: callers see which property to fix, never the value.
            throw new ArgumentException($"{field} {problem}.", field);
        }
    }

    private static string? Cut(string? text)
    {
        if (text is null)
        {
            return null;
        }

        text = text.Replace("\0", "", StringComparison.Ordinal); // PostgreSQL refuses NUL in text
        return text.Length <= ActivityDeliveryAttempt.MaxTextLength ? text : text[..ActivityDeliveryAttempt.MaxTextLength];
    }

    // A JSON array of strings, written and read without reflection (trimming-safe).
    private static string WriteEvents(IReadOnlyList<string> events)
    {
        if (events.Count == 0)
        {
            return "[]";
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (string name in events)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] ReadEvents(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var names = new List<string>();
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                names.Add(reader.GetString()!);
            }
        }

        return [.. names];
    }
}

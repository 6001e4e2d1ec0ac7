using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>How <see cref="Microsoft.EntityFrameworkCore.ActivityLogModelBuilderExtensions.AddActivityLog"/> maps the activity log table.</summary>
public sealed class ActivityLogModelOptions
{
    /// <summary>The default table name.</summary>
    public const string DefaultTableName = "activity_events";

    /// <summary>The default name of the outbox deliveries table.</summary>
    public const string DefaultOutboxTableName = "activity_outbox";

    /// <summary>The default name of the outbox batches table.</summary>
    public const string DefaultOutboxBatchTableName = "activity_outbox_batches";

    /// <summary>The default name of the delivery subscriptions table.</summary>
    public const string DefaultSubscriptionTableName = "activity_log_subscriptions";

    /// <summary>The default name of the delivery attempts table.</summary>
    public const string DefaultDeliveryAttemptTableName = "activity_log_delivery_attempts";

    /// <summary>The default name of the quarantine table.</summary>
    public const string DefaultQuarantineTableName = "activity_quarantine";

    /// <summary>The table name; <see cref="DefaultTableName"/> by default.</summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>
    /// The outbox deliveries table (one row per event waiting for a delivery destination, such as a webhook endpoint), in
    /// the same schema; <see cref="DefaultOutboxTableName"/> by default. Mapped only with a delivery package (see
    /// <see cref="MapOutbox"/>).
    /// </summary>
    public string OutboxTableName { get; set; } = DefaultOutboxTableName;

    /// <summary>The outbox batches table (delivery attempts, leases, dead letters), in the same schema; <see cref="DefaultOutboxBatchTableName"/> by default.</summary>
    public string OutboxBatchTableName { get; set; } = DefaultOutboxBatchTableName;

    /// <summary>
    /// The delivery subscriptions table (each account's webhooks, managed at run time; see
    /// <see cref="IActivitySubscriptionStore"/>), in the same schema; <see cref="DefaultSubscriptionTableName"/> by
    /// default. Mapped with the outbox tables (see <see cref="MapOutbox"/>).
    /// </summary>
    public string SubscriptionTableName { get; set; } = DefaultSubscriptionTableName;

    /// <summary>
    /// The delivery attempts table (each subscription's history: status, duration, a bounded response excerpt), in the
    /// same schema; <see cref="DefaultDeliveryAttemptTableName"/> by default. Mapped with the outbox tables.
    /// </summary>
    public string DeliveryAttemptTableName { get; set; } = DefaultDeliveryAttemptTableName;

    /// <summary>
    /// The quarantine table (events a sink rejected for good, with the sink and the reason; see
    /// <see cref="IActivityQuarantine"/>), in the same schema; <see cref="DefaultQuarantineTableName"/> by default. Always
    /// mapped; written only when a sink rejects an event.
    /// </summary>
    public string QuarantineTableName { get; set; } = DefaultQuarantineTableName;

    /// <summary>
    /// Whether the model maps the two outbox tables (<see cref="OutboxTableName"/>, <see cref="OutboxBatchTableName"/>) and
    /// the two subscription tables (<see cref="SubscriptionTableName"/>, <see cref="DeliveryAttemptTableName"/>).
    /// <see langword="null"/> (the default) maps them when the context was configured by <c>AddEntityFrameworkStore</c>
    /// in a host where a delivery package (webhooks) is added, and only then, so that <c>dotnet ef migrations add</c>
    /// creates them exactly when they are used. <see langword="true"/> always maps them, for a context built outside
    /// the host's service provider (an <c>IDesignTimeDbContextFactory</c>, a context constructed by hand) that must
    /// carry them; <see langword="false"/> never does. A host with a delivery package whose context has no outbox tables
    /// fails its first write with an error that says so.
    /// </summary>
    /// <value><see langword="null"/>: automatic.</value>
    public bool? MapOutbox { get; set; }

    /// <summary>The schema of all the tables, or <see langword="null"/> for the model's default schema.</summary>
    public string? Schema { get; set; }

    /// <summary>
    /// The column type of the JSON columns (changes, related resources, context, metadata). <see langword="null"/>
    /// (the default) picks <c>jsonb</c> on PostgreSQL (Npgsql) and the provider's text type elsewhere.
    /// </summary>
    public string? JsonColumnType { get; set; }

    /// <summary>A last say over the entity mapping (extra indexes, column names), run after ours.</summary>
    public Action<EntityTypeBuilder<StoredActivityLogEvent>>? ConfigureEntity { get; set; }
}

using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>How <see cref="ActivityLogModelBuilderExtensions.AddActivityLog"/> maps the activity log table.</summary>
public sealed class ActivityLogModelOptions
{
    /// <summary>The default table name.</summary>
    public const string DefaultTableName = "activity_events";

    /// <summary>The table name; <see cref="DefaultTableName"/> by default.</summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>The schema, or <see langword="null"/> for the model's default schema.</summary>
    public string? Schema { get; set; }

    /// <summary>
    /// The column type of the JSON columns (changes, related resources, context, metadata). <see langword="null"/>
    /// (the default) picks <c>jsonb</c> on PostgreSQL (Npgsql) and the provider's text type elsewhere.
    /// </summary>
    public string? JsonColumnType { get; set; }

    /// <summary>A last say over the entity mapping (extra indexes, column names), run after ours.</summary>
    public Action<EntityTypeBuilder<StoredActivityEvent>>? ConfigureEntity { get; set; }
}

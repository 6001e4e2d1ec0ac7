using ActivityLog;
using ActivityLog.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Adds the activity log table (the outbox and subscription tables of durable delivery, and the quarantine table) to a host's own EF Core model.</summary>
public static class ActivityLogModelBuilderExtensions
{
    /// <summary>
    /// Maps <see cref="StoredActivityLogEvent"/> to the activity log table in this model, the quarantine table
    /// (<see cref="ActivityLogModelOptions.QuarantineTableName"/>) that keeps the events a sink rejected, and, when a
    /// delivery package such as webhooks is configured (<see cref="ActivityLogModelOptions.MapOutbox"/>), the outbox
    /// tables (<see cref="ActivityLogModelOptions.OutboxTableName"/>, <see cref="ActivityLogModelOptions.OutboxBatchTableName"/>)
    /// it sends from and the tables of the accounts' own subscriptions and their delivery attempts
    /// (<see cref="ActivityLogModelOptions.SubscriptionTableName"/>, <see cref="ActivityLogModelOptions.DeliveryAttemptTableName"/>), so that <c>dotnet ef migrations add</c> creates them with the host's own tables. Call it from
    /// <c>OnModelCreating</c>.
    /// </summary>
    /// <example>
    /// <code>
    /// protected override void OnModelCreating(ModelBuilder modelBuilder) =>
    ///     modelBuilder.AddActivityLog(o => { o.TableName = "audit_events"; o.Schema = "audit"; });
    /// </code>
    /// </example>
    /// <param name="modelBuilder">The host's model builder.</param>
    /// <param name="configure">Renames the table or schema, or adjusts the mapping.</param>
    /// <returns>The model builder.</returns>
    /// <exception cref="ArgumentException">A table name is empty.</exception>
    public static ModelBuilder AddActivityLog(this ModelBuilder modelBuilder, Action<ActivityLogModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        var options = new ActivityLogModelOptions();
        configure?.Invoke(options);
        if (string.IsNullOrWhiteSpace(options.TableName))
        {
            throw new ArgumentException("The activity log table needs a name.", nameof(configure));
        }

        // The JSON columns are text everywhere but PostgreSQL, where jsonb lets operators query inside them. The model
        // builder does not say which provider built it; Npgsql marks every model it initializes with its own
        // annotations, which is the one provider-specific thing this mapping looks at.
        bool isNpgsql = modelBuilder.Model.GetAnnotations().Any(a => a.Name.StartsWith("Npgsql:", StringComparison.Ordinal));
        string? jsonType = options.JsonColumnType ?? (isNpgsql ? "jsonb" : null);

        modelBuilder.Entity<StoredActivityLogEvent>(entity =>
        {
            entity.ToTable(options.TableName, options.Schema);
            entity.HasKey(e => e.Id).HasName($"pk_{options.TableName}");
            entity.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
            entity.Property(e => e.AccountId).HasColumnName("account_id").HasMaxLength(ActivityLimits.MaxIdLength);
            entity.Property(e => e.Name).HasColumnName("name").HasMaxLength(ActivityLimits.MaxEventNameLength).IsRequired();
            entity.Property(e => e.Description).HasColumnName("description");
            entity.Property(e => e.OccurredAt).HasColumnName("occurred_at");
            entity.Property(e => e.ActorType).HasColumnName("actor_type").HasMaxLength(ActivityLimits.MaxTypeLength).IsRequired();
            entity.Property(e => e.ActorId).HasColumnName("actor_id").HasMaxLength(ActivityLimits.MaxIdLength);
            entity.Property(e => e.ActorIdIsNumber).HasColumnName("actor_id_is_number");
            entity.Property(e => e.ActorName).HasColumnName("actor_name").HasMaxLength(ActivityLimits.MaxNameLength);
            entity.Property(e => e.ResourceType).HasColumnName("resource_type").HasMaxLength(ActivityLimits.MaxTypeLength);
            entity.Property(e => e.ResourceId).HasColumnName("resource_id").HasMaxLength(ActivityLimits.MaxIdLength);
            entity.Property(e => e.ResourceName).HasColumnName("resource_name").HasMaxLength(ActivityLimits.MaxNameLength);
            var related = entity.Property(e => e.RelatedResources).HasColumnName("related_resources");
            var changes = entity.Property(e => e.Changes).HasColumnName("changes").IsRequired();
            var context = entity.Property(e => e.Context).HasColumnName("context");
            var metadata = entity.Property(e => e.Metadata).HasColumnName("metadata");
            entity.Property(e => e.SearchText).HasColumnName("search_text");
            if (jsonType is not null)
            {
                related.HasColumnType(jsonType);
                changes.HasColumnType(jsonType);
                context.HasColumnType(jsonType);
                metadata.HasColumnType(jsonType);
            }

            // One index per query the reader runs: every filter starts with the account and ends with the keyset
            // (occurred_at, id) in the page's order, newest first.
            string t = options.TableName;
            entity.HasIndex(e => new { e.AccountId, e.OccurredAt, e.Id }, $"ix_{t}_account_time").IsDescending(false, true, true);
            entity.HasIndex(e => new { e.AccountId, e.ActorType, e.ActorId, e.OccurredAt, e.Id }, $"ix_{t}_account_actor")
                .IsDescending(false, false, false, true, true);
            entity.HasIndex(e => new { e.AccountId, e.ResourceType, e.ResourceId, e.OccurredAt, e.Id }, $"ix_{t}_account_resource")
                .IsDescending(false, false, false, true, true);
            entity.HasIndex(e => new { e.AccountId, e.Name, e.OccurredAt, e.Id }, $"ix_{t}_account_name")
                .IsDescending(false, false, true, true);
            // Retention deletes the oldest rows across all accounts. On PostgreSQL a BRIN index: tiny, nearly free to
            // maintain on an append-mostly table, and (unlike a B-tree here) never chosen by the planner over
            // account_time to serve an account's newest-first page. Other providers ignore the annotation.
            var retention = entity.HasIndex(e => e.OccurredAt, $"ix_{t}_occurred_at");
            if (isNpgsql)
            {
                retention.HasAnnotation("Npgsql:IndexMethod", "brin");
            }

            if (isNpgsql)
            {
                ActivityLog.EntityFrameworkCore.Search.SearchModel.MapTsVector(modelBuilder, entity, t);
            }

            options.ConfigureEntity?.Invoke(entity);
        });

        // The store's options extension marks the model when the host configured deliveries (OnModelCreating has no DI).
        if (options.MapOutbox ?? modelBuilder.Model.FindAnnotation(ActivityLog.EntityFrameworkCore.Outbox.OutboxModelConvention.Annotation) is not null)
        {
            ActivityLog.EntityFrameworkCore.Outbox.OutboxModel.Add(modelBuilder, options);
            ActivityLog.EntityFrameworkCore.Subscriptions.SubscriptionModel.Add(modelBuilder, options);
        }

        ActivityLog.EntityFrameworkCore.Quarantine.QuarantineModel.Add(modelBuilder, options);
        return modelBuilder;
    }
}

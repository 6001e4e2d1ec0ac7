using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Subscriptions;

/// <summary>Maps the subscription and delivery-attempt tables next to the outbox (same schema, same condition).</summary>
internal static class SubscriptionModel
{
    public static void Add(ModelBuilder modelBuilder, ActivityLogModelOptions options)
    {
        string subscriptions = options.SubscriptionTableName;
        string attempts = options.DeliveryAttemptTableName;
        if (string.IsNullOrWhiteSpace(subscriptions) || string.IsNullOrWhiteSpace(attempts))
        {
            throw new ArgumentException("The subscription and delivery attempt tables need names.", nameof(options));
        }

        modelBuilder.Entity<SubscriptionRow>(entity =>
        {
            entity.ToTable(subscriptions, options.Schema);
            entity.HasKey(e => e.Id).HasName($"pk_{subscriptions}");
            entity.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
            entity.Property(e => e.AccountId).HasColumnName("account_id").HasMaxLength(ActivityLimits.MaxIdLength).IsRequired();
            entity.Property(e => e.Kind).HasColumnName("kind").HasMaxLength(SubscriptionRow.MaxKindLength).IsRequired();
            entity.Property(e => e.Description).HasColumnName("description").HasMaxLength(ActivitySubscription.MaxDescriptionLength).IsRequired();
            entity.Property(e => e.Url).HasColumnName("url").HasMaxLength(ActivitySubscription.MaxUrlLength).IsRequired();
            entity.Property(e => e.Format).HasColumnName("format").HasMaxLength(SubscriptionRow.MaxFormatLength).IsRequired();
            entity.Property(e => e.Events).HasColumnName("events").IsRequired();
            entity.Property(e => e.Enabled).HasColumnName("enabled");
            entity.Property(e => e.DisabledReason).HasColumnName("disabled_reason").HasMaxLength(SubscriptionRow.MaxReasonLength);
            entity.Property(e => e.ProtectedSecrets).HasColumnName("protected_secrets").IsRequired();
            entity.Property(e => e.FailingSince).HasColumnName("failing_since");
            entity.Property(e => e.CreatedAt).HasColumnName("created_at");
            entity.Property(e => e.CreatedBy).HasColumnName("created_by").HasMaxLength(ActivityLimits.MaxIdLength);
            entity.Property(e => e.UpdatedAt).HasColumnName("updated_at");
            entity.Property(e => e.UpdatedBy).HasColumnName("updated_by").HasMaxLength(ActivityLimits.MaxIdLength);
            entity.Property(e => e.DeletedAt).HasColumnName("deleted_at");
            entity.Property(e => e.Version).HasColumnName("version");

            // An account's list, oldest first; the change poll of every process (updated_at at or after a time).
            entity.HasIndex(e => new { e.AccountId, e.CreatedAt }, $"ix_{subscriptions}_account_created");
            entity.HasIndex(e => e.UpdatedAt, $"ix_{subscriptions}_updated_at");
        });

        modelBuilder.Entity<DeliveryAttemptRow>(entity =>
        {
            entity.ToTable(attempts, options.Schema);
            entity.HasKey(e => e.Id).HasName($"pk_{attempts}");
            entity.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
            entity.Property(e => e.AccountId).HasColumnName("account_id").HasMaxLength(ActivityLimits.MaxIdLength).IsRequired();
            entity.Property(e => e.SubscriptionId).HasColumnName("subscription_id");
            entity.Property(e => e.MessageId).HasColumnName("message_id").HasMaxLength(DeliveryAttemptRow.MaxMessageIdLength).IsRequired();
            entity.Property(e => e.AttemptedAt).HasColumnName("attempted_at");
            entity.Property(e => e.Attempt).HasColumnName("attempt");
            entity.Property(e => e.EventCount).HasColumnName("event_count");
            entity.Property(e => e.Succeeded).HasColumnName("succeeded");
            entity.Property(e => e.StatusCode).HasColumnName("status_code");
            entity.Property(e => e.Error).HasColumnName("error").HasMaxLength(ActivityDeliveryAttempt.MaxTextLength);
            entity.Property(e => e.DurationMicroseconds).HasColumnName("duration_us");
            entity.Property(e => e.ResponseExcerpt).HasColumnName("response_excerpt").HasMaxLength(ActivityDeliveryAttempt.MaxTextLength);
            entity.Property(e => e.IsTest).HasColumnName("is_test");

            // A subscription's history, newest first (the page); the purge of old attempts across accounts.
            entity.HasIndex(e => new { e.AccountId, e.SubscriptionId, e.AttemptedAt }, $"ix_{attempts}_account_subscription_time")
                .IsDescending(false, false, true);
            entity.HasIndex(e => e.AttemptedAt, $"ix_{attempts}_attempted_at");
        });
    }

    /// <summary>Whether the model maps the subscription tables.</summary>
    public static bool IsMapped(Microsoft.EntityFrameworkCore.Metadata.IModel model) => model.FindEntityType(typeof(SubscriptionRow)) is not null;
}

using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Quarantine;

/// <summary>Maps the quarantine table next to the activity log table (same schema).</summary>
internal static class QuarantineModel
{
    public static void Add(ModelBuilder modelBuilder, ActivityLogModelOptions options)
    {
        string table = options.QuarantineTableName;
        if (string.IsNullOrWhiteSpace(table))
        {
            throw new ArgumentException("The quarantine table needs a name.", nameof(options));
        }

        modelBuilder.Entity<QuarantineRow>(entity =>
        {
            entity.ToTable(table, options.Schema);
            entity.HasKey(e => e.Id).HasName($"pk_{table}");
            entity.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
            entity.Property(e => e.EventId).HasColumnName("event_id");
            entity.Property(e => e.EventName).HasColumnName("event_name").HasMaxLength(ActivityLimits.MaxEventNameLength).IsRequired();
            entity.Property(e => e.AccountId).HasColumnName("account_id").HasMaxLength(ActivityLimits.MaxIdLength);
            entity.Property(e => e.Sink).HasColumnName("sink").HasMaxLength(QuarantineRow.MaxSinkLength).IsRequired();
            entity.Property(e => e.Reason).HasColumnName("reason").HasMaxLength(QuarantineRow.MaxReasonLength).IsRequired();
            entity.Property(e => e.OccurredAt).HasColumnName("occurred_at");
            entity.Property(e => e.QuarantinedAt).HasColumnName("quarantined_at");
            // Plain text on every provider, never jsonb: the event is here because the database refused one of its values,
            // and jsonb refuses \u0000 even escaped. The text is ASCII-escaped JSON, which any text column holds.
            entity.Property(e => e.EventJson).HasColumnName("event_json").IsRequired();

            // One row per event and sink: a retried add finds it instead of adding a second.
            entity.HasIndex(e => new { e.EventId, e.Sink }, $"ux_{table}_event_sink").IsUnique();
            // The listing reads oldest first.
            entity.HasIndex(e => new { e.QuarantinedAt, e.Id }, $"ix_{table}_quarantined_at");
        });
    }
}

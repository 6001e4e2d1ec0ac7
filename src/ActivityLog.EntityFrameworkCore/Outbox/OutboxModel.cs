using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>Maps the two outbox tables next to the activity log table (same schema).</summary>
internal static class OutboxModel
{
    public static void Add(ModelBuilder modelBuilder, ActivityLogModelOptions options)
    {
        string deliveries = options.OutboxTableName;
        string batches = options.OutboxBatchTableName;
        if (string.IsNullOrWhiteSpace(deliveries) || string.IsNullOrWhiteSpace(batches))
        {
            throw new ArgumentException("The outbox tables need names.", nameof(options));
        }

        modelBuilder.Entity<OutboxDeliveryRow>(entity =>
        {
            entity.ToTable(deliveries, options.Schema);
            entity.HasKey(e => e.Id).HasName($"pk_{deliveries}");
            entity.Property(e => e.Id).HasColumnName("id").ValueGeneratedOnAdd();
            entity.Property(e => e.Destination).HasColumnName("destination").HasMaxLength(OutboxBatchRow.MaxDestinationLength).IsRequired();
            entity.Property(e => e.EventId).HasColumnName("event_id");
            entity.Property(e => e.BatchId).HasColumnName("batch_id");
            entity.Property(e => e.CreatedAt).HasColumnName("created_at");

            // One delivery per event and destination (a retried write cannot add a second); event_id first, so that
            // retention's "has this event deliveries left" probe is an index lookup.
            entity.HasIndex(e => new { e.EventId, e.Destination }, $"ux_{deliveries}_event_destination").IsUnique();
            // Forming a batch reads a destination's unbatched deliveries oldest first (batch_id IS NULL, by id); loading,
            // completing and counting a batch reads its deliveries (destination, batch_id).
            entity.HasIndex(e => new { e.Destination, e.BatchId, e.Id }, $"ix_{deliveries}_destination_batch");
            // The unbatched deliveries alone, by destination and age: "IS NULL" is no equality for the planner, so the index
            // above cannot serve "oldest unbatched first" without reading all of a destination's backlog. This one makes
            // the due listing and a claim's pick one probe per destination, whatever the backlog.
            entity.HasIndex(e => new { e.Destination, e.Id }, $"ix_{deliveries}_unbatched").HasFilter("batch_id IS NULL");
        });

        modelBuilder.Entity<OutboxBatchRow>(entity =>
        {
            entity.ToTable(batches, options.Schema);
            entity.HasKey(e => e.Id).HasName($"pk_{batches}");
            entity.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
            entity.Property(e => e.Destination).HasColumnName("destination").HasMaxLength(OutboxBatchRow.MaxDestinationLength).IsRequired();
            entity.Property(e => e.Attempt).HasColumnName("attempt");
            entity.Property(e => e.Status).HasColumnName("status").HasMaxLength(16).IsRequired();
            entity.Property(e => e.NextAttemptAt).HasColumnName("next_attempt_at");
            entity.Property(e => e.LeaseExpiresAt).HasColumnName("lease_expires_at");
            entity.Property(e => e.LastError).HasColumnName("last_error").HasMaxLength(OutboxBatchRow.MaxErrorLength);
            entity.Property(e => e.CreatedAt).HasColumnName("created_at");
            entity.Property(e => e.DeadLetteredAt).HasColumnName("dead_lettered_at");

            // The claim polls a destination's pending batches that are due; the dead-letter listing reads status "dead".
            entity.HasIndex(e => new { e.Destination, e.Status, e.NextAttemptAt }, $"ix_{batches}_due");
        });
    }
}

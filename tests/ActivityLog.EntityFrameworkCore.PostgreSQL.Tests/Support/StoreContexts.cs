using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;

/// <summary>A host's context with the activity log under the default names (jsonb JSON columns).</summary>
public sealed class PgStoreContext(DbContextOptions<PgStoreContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog();
}

/// <summary>A host's context that renames the table, puts it in its own schema and renames a column.</summary>
public sealed class PgRenamedContext(DbContextOptions<PgRenamedContext> options) : DbContext(options)
{
    /// <summary>Mixed case, so that every statement must quote it.</summary>
    public const string Table = "Audit_Trail";
    public const string Schema = "audit";
    public const string MetadataColumn = "extra";

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.AddActivityLog(o =>
        {
            o.TableName = Table;
            o.Schema = Schema;
            o.ConfigureEntity = e => e.Property(p => p.Metadata).HasColumnName(MetadataColumn);
        });
}

/// <summary>A host's context that keeps its JSON columns as plain text.</summary>
public sealed class PgTextJsonContext(DbContextOptions<PgTextJsonContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog(o => o.JsonColumnType = "text");
}

/// <summary>A host's context with a value converter on one column: a mapping the COPY writer leaves to EF Core.</summary>
public sealed class PgConvertedContext(DbContextOptions<PgConvertedContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.AddActivityLog(o => o.ConfigureEntity = e => e.Property(p => p.ResourceName)
            .HasConversion(v => v == null ? null : v.ToUpperInvariant(), v => v));
}

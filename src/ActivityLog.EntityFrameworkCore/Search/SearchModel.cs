using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityLog.EntityFrameworkCore.Search;

/// <summary>The search index's part of the model on PostgreSQL: a generated <c>tsvector</c> column and its GIN index.</summary>
internal static class SearchModel
{
    /// <summary>
    /// Maps <c>search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', …search_text…)) STORED</c> and
    /// <c>ix_&lt;table&gt;_search USING gin</c>, so that <c>dotnet ef migrations add</c> and CreateSchemaOnStart create
    /// both. The column is a shadow property nothing writes or reads back: PostgreSQL computes it, EF Core leaves it
    /// out of its <c>INSERT</c> and <c>RETURNING</c>, and the reader never selects it.
    /// </summary>
    public static void MapTsVector(EntityTypeBuilder<StoredActivityLogEvent> entity, string table)
    {
        // EF Core maps a tsvector column only to Npgsql's NpgsqlTsVector, and this package does not reference Npgsql
        // (the provider, which brings it, built this model): the type is found by name. Without it, no column and search
        // falls back to the unindexed match.
        if (Type.GetType("NpgsqlTypes.NpgsqlTsVector, Npgsql", throwOnError: false) is not { } tsVector)
        {
            return;
        }

        var vector = entity.Property(tsVector, ActivityLogSearchIndex.SearchVectorProperty)
            .HasColumnName("search_vector")
            .HasComputedColumnSql(ActivityLogSearchIndex.TsVectorSql("search_text"), stored: true)
            .ValueGeneratedNever();
        vector.Metadata.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
        vector.Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
        entity.HasIndex(ActivityLogSearchIndex.SearchVectorProperty).HasDatabaseName($"ix_{table}_search").HasAnnotation("Npgsql:IndexMethod", "gin");
    }

    /// <summary>Whether a property of the table is one the database computes (the <c>tsvector</c>): writers leave it out.</summary>
    public static bool IsComputed(IReadOnlyProperty property) => property.GetComputedColumnSql() is not null;
}

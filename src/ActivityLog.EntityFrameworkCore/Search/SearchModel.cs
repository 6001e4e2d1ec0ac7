using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityLog.EntityFrameworkCore.Search;

/// <summary>The search index's part of the model on PostgreSQL: a generated <c>tsvector</c> column and its GIN index.</summary>
internal static class SearchModel
{
    /// <summary>
    /// Maps <c>search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', …search_text…)) STORED</c> and
    /// <c>ix_&lt;table&gt;_search USING gin (account_id, search_vector)</c>, so that <c>dotnet ef migrations add</c> and CreateSchemaOnStart create
    /// both. The column is a shadow property nothing writes or reads back: PostgreSQL computes it, EF Core leaves it
    /// out of its <c>INSERT</c> and <c>RETURNING</c>, and the reader never selects it.
    /// </summary>
    public static void MapTsVector(ModelBuilder modelBuilder, EntityTypeBuilder<StoredActivityLogEvent> entity, string table)
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
        // One GIN index over (account_id, search_vector): every search is account-scoped, and a tsvector-only index left
        // PostgreSQL AND-ing the words' bitmap with a bitmap of the whole account's rows (26 ms for a rare word in a
        // 100,000-event account; 1.8 ms with the account in the index, docs/benchmarks.md). GIN indexes a plain column
        // through the btree_gin extension (trusted since PostgreSQL 13: a database owner may create it), declared on the
        // model so that migrations create it; the schema initializer creates it too.
        entity.HasIndex(nameof(StoredActivityLogEvent.AccountId), ActivityLogSearchIndex.SearchVectorProperty)
            .HasDatabaseName($"ix_{table}_search").HasAnnotation("Npgsql:IndexMethod", "gin");
        AddBtreeGin(modelBuilder);
    }

    /// <summary>The extension the search index needs.</summary>
    public const string Extension = "btree_gin";

    // HasPostgresExtension is Npgsql's (this package does not reference it): called by name, like the tsvector type.
    private static void AddBtreeGin(ModelBuilder modelBuilder)
    {
        var extensions = Type.GetType("Microsoft.EntityFrameworkCore.NpgsqlModelBuilderExtensions, Npgsql.EntityFrameworkCore.PostgreSQL", throwOnError: false);
        var method = extensions?.GetMethod("HasPostgresExtension", [typeof(ModelBuilder), typeof(string)]);
        method?.Invoke(null, [modelBuilder, Extension]);
    }

    /// <summary>Whether a property of the table is one the database computes (the <c>tsvector</c>): writers leave it out.</summary>
    public static bool IsComputed(IReadOnlyProperty property) => property.GetComputedColumnSql() is not null;
}

using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Implementation;

/// <summary>
/// The SQL and the column writers for one model's activity log table, built once per model from the EF Core
/// mapping (table, schema, column names and store types), so a renamed table, schema or column is honoured.
/// </summary>
internal sealed class CopyPlan
{
    /// <summary>The temporary table's name; it lives in the session's own <c>pg_temp</c> schema.</summary>
    private const string StagingTable = "activitylog_ingest";

    private static readonly ConditionalWeakTable<IModel, Cached> Plans = [];

    private CopyPlan(string directCopy, string createStaging, string copy, string insert, CopyColumn[] columns)
    {
        DirectCopySql = directCopy;
        CreateStagingSql = createStaging;
        StagingCopySql = copy;
        InsertSql = insert;
        Columns = columns;
    }

    /// <summary><c>COPY … FROM STDIN (FORMAT BINARY)</c> straight into the activity log table.</summary>
    public string DirectCopySql { get; }

    /// <summary><c>CREATE TEMP TABLE … ON COMMIT DROP</c> with the target's column types.</summary>
    public string CreateStagingSql { get; }

    /// <summary><c>COPY … FROM STDIN (FORMAT BINARY)</c> into the staging table.</summary>
    public string StagingCopySql { get; }

    /// <summary><c>INSERT INTO target … SELECT … FROM staging ON CONFLICT (key) DO NOTHING</c>.</summary>
    public string InsertSql { get; }

    /// <summary>The columns in <c>COPY</c> order.</summary>
    public IReadOnlyList<CopyColumn> Columns { get; }

    /// <summary>The plan for the context's model, or <see langword="null"/> when its mapping is one COPY cannot write (then the generic path does).</summary>
    public static CopyPlan? For(DbContext context)
    {
        var model = context.Model;
        if (!Plans.TryGetValue(model, out var cached))
        {
            cached = Plans.GetValue(model, m => new Cached(TryCreate(m, context.GetService<ISqlGenerationHelper>())));
        }

        return cached.Plan;
    }

    internal static CopyPlan? TryCreate(IModel model, ISqlGenerationHelper sql)
    {
        var entityType = model.FindEntityType(typeof(StoredActivityLogEvent));
        if (entityType is null)
        {
            return null;
        }

        // One table only: entity splitting or a view mapping is beyond a plain COPY.
        var mappings = entityType.GetTableMappings().ToList();
        if (mappings.Count != 1 || entityType.FindPrimaryKey() is not { } key)
        {
            return null;
        }

        var table = mappings[0].Table;
        var columns = new List<CopyColumn>();
        foreach (var columnMapping in mappings[0].ColumnMappings)
        {
            // A column PostgreSQL generates (the search tsvector) cannot be written, and needs not be.
            if (Search.SearchModel.IsComputed(columnMapping.Property))
            {
                continue;
            }

            var writer = columnMapping.TypeMapping.Converter is null
                ? CopyColumn.Create(columnMapping.Property.Name, columnMapping.Column.StoreType)
                : null;
            if (writer is null)
            {
                // A property this plan does not know how to send (a host's own shadow column, a value converter):
                // leave the whole batch to EF Core rather than guess a binary format.
                return null;
            }

            columns.Add(writer with { Name = columnMapping.Column.Name });
        }

        var keyColumns = key.Properties.Select(p => p.GetColumnName(StoreObjectIdentifier.Table(table.Name, table.Schema))).ToList();
        if (keyColumns.Any(c => c is null))
        {
            return null;
        }

        string target = sql.DelimitIdentifier(table.Name, table.Schema);
        string staging = sql.DelimitIdentifier(StagingTable);
        string columnList = string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.Name)));
        string definitions = string.Join(", ", columns.Select(c => $"{sql.DelimitIdentifier(c.Name)} {c.StoreType}"));
        string conflict = string.Join(", ", keyColumns.Select(c => sql.DelimitIdentifier(c!)));
        return new CopyPlan(
            $"COPY {target} ({columnList}) FROM STDIN (FORMAT BINARY)",
            $"CREATE TEMP TABLE {staging} ({definitions}) ON COMMIT DROP",
            $"COPY {staging} ({columnList}) FROM STDIN (FORMAT BINARY)",
            $"INSERT INTO {target} ({columnList}) SELECT {columnList} FROM {staging} ON CONFLICT ({conflict}) DO NOTHING",
            [.. columns]);
    }

    private sealed record Cached(CopyPlan? Plan);
}

/// <summary>One column of the COPY stream: its name, its store type and how a row's value is written in binary.</summary>
internal sealed record CopyColumn(string Name, string StoreType, Func<NpgsqlBinaryImporter, StoredActivityLogEvent, CancellationToken, Task> Write)
{
    /// <summary>The writer for a property of <see cref="StoredActivityLogEvent"/> stored in a column of that type, or <see langword="null"/>.</summary>
    public static CopyColumn? Create(string property, string storeType)
    {
        string type = BaseType(storeType);
        return property switch
        {
            nameof(StoredActivityLogEvent.Id) when type == "uuid" =>
                new(property, storeType, static (w, r, ct) => w.WriteAsync(r.Id, NpgsqlDbType.Uuid, ct)),
            nameof(StoredActivityLogEvent.OccurredAt) when type is "timestamp with time zone" or "timestamptz" =>
                new(property, storeType, static (w, r, ct) => w.WriteAsync(r.OccurredAt, NpgsqlDbType.TimestampTz, ct)),
            nameof(StoredActivityLogEvent.OccurredAt) when type is "timestamp without time zone" or "timestamp" =>
                // Npgsql refuses a UTC DateTime for a column without time zone; the value is UTC either way.
                new(property, storeType, static (w, r, ct) => w.WriteAsync(DateTime.SpecifyKind(r.OccurredAt, DateTimeKind.Unspecified), NpgsqlDbType.Timestamp, ct)),
            nameof(StoredActivityLogEvent.ActorIdIsNumber) when type is "boolean" or "bool" =>
                new(property, storeType, static (w, r, ct) => w.WriteAsync(r.ActorIdIsNumber, NpgsqlDbType.Boolean, ct)),
            _ when StringProperty(property) is { } get && TextType(type) is { } dbType =>
                new(property, storeType, (w, r, ct) => get(r) is { } value ? w.WriteAsync(value, dbType, ct) : w.WriteNullAsync(ct)),
            _ => null,
        };
    }

    private static Func<StoredActivityLogEvent, string?>? StringProperty(string property) => property switch
    {
        nameof(StoredActivityLogEvent.AccountId) => static r => r.AccountId,
        nameof(StoredActivityLogEvent.Name) => static r => r.Name,
        nameof(StoredActivityLogEvent.Description) => static r => r.Description,
        nameof(StoredActivityLogEvent.ActorType) => static r => r.ActorType,
        nameof(StoredActivityLogEvent.ActorId) => static r => r.ActorId,
        nameof(StoredActivityLogEvent.ActorName) => static r => r.ActorName,
        nameof(StoredActivityLogEvent.ResourceType) => static r => r.ResourceType,
        nameof(StoredActivityLogEvent.ResourceId) => static r => r.ResourceId,
        nameof(StoredActivityLogEvent.ResourceName) => static r => r.ResourceName,
        nameof(StoredActivityLogEvent.RelatedResources) => static r => r.RelatedResources,
        nameof(StoredActivityLogEvent.Changes) => static r => r.Changes,
        nameof(StoredActivityLogEvent.Context) => static r => r.Context,
        nameof(StoredActivityLogEvent.Metadata) => static r => r.Metadata,
        nameof(StoredActivityLogEvent.SearchText) => static r => r.SearchText,
        _ => null,
    };

    /// <summary>
    /// The binary format a text value is sent in: jsonb and json have their own (jsonb adds a version byte); every
    /// character type shares text's.
    /// </summary>
    private static NpgsqlDbType? TextType(string type) => type switch
    {
        "jsonb" => NpgsqlDbType.Jsonb,
        "json" => NpgsqlDbType.Json,
        "text" or "character varying" or "varchar" or "character" or "char" or "bpchar" => NpgsqlDbType.Text,
        _ => null,
    };

    /// <summary>The store type without its modifiers: <c>character varying(200)</c> → <c>character varying</c>.</summary>
    private static string BaseType(string storeType)
    {
        int parenthesis = storeType.IndexOf('(', StringComparison.Ordinal);
        return (parenthesis < 0 ? storeType : storeType[..parenthesis]).Trim().ToLowerInvariant();
    }
}

using System.Data;
using System.Data.Common;

namespace ActivityLog.EntityFrameworkCore.Schema;

/// <summary>
/// Asks the database whether a table or an index exists. EF Core has no provider-neutral service for this (its
/// database creator only knows whether <em>any</em> table exists), so these are the two catalog queries per provider.
/// </summary>
internal sealed class SchemaCatalog
{
    private const string SqliteProvider = "Microsoft.EntityFrameworkCore.Sqlite";
    private const string NpgsqlProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    // SQLite has no schemas (EF Core ignores a configured one there) and index names are unique per database.
    private static readonly SchemaCatalog Sqlite = new(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @name",
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = @name");

    // Without a configured schema, PostgreSQL creates the table in the first schema of the search path.
    private static readonly SchemaCatalog PostgreSql = new(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = coalesce(@schema, current_schema()) AND tablename = @name",
        "SELECT count(*) FROM pg_catalog.pg_indexes WHERE schemaname = coalesce(@schema, current_schema()) AND indexname = @name");

    private readonly string _tableSql;
    private readonly string _indexSql;

    private SchemaCatalog(string tableSql, string indexSql)
    {
        _tableSql = tableSql;
        _indexSql = indexSql;
    }

    /// <summary>The catalog queries of an EF Core provider, or <see langword="null"/> for a provider we do not know.</summary>
    /// <param name="providerName">The provider's name (<c>context.Database.ProviderName</c>).</param>
    /// <returns>The catalog, or <see langword="null"/>.</returns>
    public static SchemaCatalog? For(string providerName) => providerName switch
    {
        SqliteProvider => Sqlite,
        NpgsqlProvider => PostgreSql,
        _ => null,
    };

    /// <summary>Whether the provider is SQLite's (<c>context.Database.ProviderName</c>).</summary>
    public static bool IsSqlite(string? providerName) => providerName == SqliteProvider;

    public Task<bool> TableExistsAsync(DbConnection connection, string table, string? schema, CancellationToken cancellationToken) =>
        ExistsAsync(connection, _tableSql, table, schema, cancellationToken);

    public Task<bool> IndexExistsAsync(DbConnection connection, string index, string? schema, CancellationToken cancellationToken) =>
        ExistsAsync(connection, _indexSql, index, schema, cancellationToken);

    private static async Task<bool> ExistsAsync(DbConnection connection, string sql, string name, string? schema, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            AddParameter(command, "@name", name);
            if (sql.Contains("@schema", StringComparison.Ordinal))
            {
                AddParameter(command, "@schema", schema);
            }

            object? count = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return Convert.ToInt64(count, System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
    }

    private static void AddParameter(DbCommand command, string name, string? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.String;
        parameter.Value = (object?)value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}

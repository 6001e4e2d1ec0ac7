using System.Data.Common;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ActivityLog.EntityFrameworkCore.Tests.Schema;

/// <summary>
/// What a database really holds, read with plain ADO.NET from its catalog (never through EF Core, whose view is the
/// model): tables, indexes, column types, row counts.
/// </summary>
internal static class DatabaseCatalog
{
    public static DbConnection Connect(DatabaseProvider provider, string connectionString) => provider == DatabaseProvider.Sqlite
        ? new SqliteConnection(connectionString)
        : new NpgsqlConnection(connectionString);

    /// <summary>
    /// The user tables as <c>schema.table</c> (just <c>table</c> on SQLite), sorted; on SQLite without virtual tables
    /// (the FTS5 search index) and their shadow tables, which <see cref="VirtualTablesAsync"/> lists.
    /// </summary>
    public static Task<List<string>> TablesAsync(DatabaseProvider provider, string connectionString) =>
        ListAsync(provider, connectionString, provider == DatabaseProvider.Sqlite
            ? """
              SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND NOT EXISTS (
                  SELECT 1 FROM sqlite_master v WHERE v.type = 'table' AND v.sql LIKE 'CREATE VIRTUAL TABLE%'
                  AND (m.name = v.name OR m.name LIKE v.name || '\_%' ESCAPE '\'))
              ORDER BY m.name
              """
            : "SELECT schemaname || '.' || tablename FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");

    /// <summary>The virtual tables (SQLite), sorted.</summary>
    public static Task<List<string>> VirtualTablesAsync(string connectionString) =>
        ListAsync(DatabaseProvider.Sqlite, connectionString, "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name");

    /// <summary>The indexes of one table, primary key included, sorted by name.</summary>
    public static Task<List<string>> IndexesAsync(DatabaseProvider provider, string connectionString, string table) =>
        ListAsync(provider, connectionString, provider == DatabaseProvider.Sqlite
            ? $"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' ORDER BY name"
            : $"SELECT indexname FROM pg_catalog.pg_indexes WHERE tablename = '{table}' ORDER BY indexname");

    /// <summary>Column name → declared type (SQLite) or <c>data_type</c> (PostgreSQL), in table order.</summary>
    public static Task<List<KeyValuePair<string, string>>> ColumnTypesAsync(DatabaseProvider provider, string connectionString, string table, string? schema = null)
    {
        string sql = provider == DatabaseProvider.Sqlite
            ? $"SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"
            : $"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{table}' AND table_schema = {(schema is null ? "current_schema()" : $"'{schema}'")} ORDER BY ordinal_position";
        return ReadAsync(provider, connectionString, sql, reader => new KeyValuePair<string, string>(reader.GetString(0), reader.GetString(1)));
    }

    /// <summary>Runs a scalar query (a count, say).</summary>
    public static async Task<long> ScalarAsync(DatabaseProvider provider, string connectionString, string sql)
    {
        await using var connection = Connect(provider, connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a statement.</summary>
    public static async Task ExecuteAsync(DatabaseProvider provider, string connectionString, string sql)
    {
        await using var connection = Connect(provider, connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static Task<List<string>> ListAsync(DatabaseProvider provider, string connectionString, string sql) =>
        ReadAsync(provider, connectionString, sql, reader => reader.GetString(0));

    private static async Task<List<T>> ReadAsync<T>(DatabaseProvider provider, string connectionString, string sql, Func<DbDataReader, T> read)
    {
        var rows = new List<T>();
        await using var connection = Connect(provider, connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}

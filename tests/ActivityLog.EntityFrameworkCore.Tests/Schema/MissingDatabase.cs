using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Testing.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityLog.EntityFrameworkCore.Tests.Schema;

/// <summary>
/// A connection string to a database that does not exist yet (an SQLite file not yet written, a PostgreSQL database
/// not yet created), for tests of database creation; whatever got created is removed on dispose.
/// </summary>
internal sealed class MissingDatabase : IAsyncDisposable
{
    private readonly string? _sqliteFolder;

    private MissingDatabase(DatabaseProvider provider, string connectionString, string? sqliteFolder)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _sqliteFolder = sqliteFolder;
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public static MissingDatabase Create(DatabaseProvider provider, string prefix)
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            string folder = Path.Combine(Path.GetTempPath(), "activitylog-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            var sqlite = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, $"{prefix}.db"), Pooling = false };
            return new MissingDatabase(provider, sqlite.ToString(), folder);
        }

        var npgsql = new NpgsqlConnectionStringBuilder(PostgresServer.Main.ConnectionString) { Database = PostgresServer.NewDatabaseName(prefix) };
        return new MissingDatabase(provider, npgsql.ToString(), sqliteFolder: null);
    }

    /// <summary>Whether the database exists now (the SQLite file, or a row in <c>pg_database</c>).</summary>
    public async Task<bool> ExistsAsync()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            return File.Exists(new SqliteConnectionStringBuilder(ConnectionString).DataSource);
        }

        string name = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
        await using var connection = new NpgsqlConnection(PostgresServer.Main.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", connection);
        command.Parameters.AddWithValue("name", name);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    public void Configure(DbContextOptionsBuilder options)
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            options.UseSqlite(ConnectionString);
        }
        else
        {
            options.UseNpgsql(ConnectionString);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Provider == DatabaseProvider.PostgreSql)
        {
            await PostgresServer.Main.DropDatabaseAsync(ConnectionString);
        }
        else if (_sqliteFolder is not null)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_sqliteFolder, recursive: true);
            }
            catch (IOException)
            {
                // A file a leaked connection still holds stays in the temp folder; nothing to assert here.
            }
        }
    }
}

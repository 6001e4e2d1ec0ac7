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
    private readonly TestDatabase _database;

    private MissingDatabase(TestDatabase database) => _database = database;

    public DatabaseProvider Provider => _database.Provider;

    public string ConnectionString => _database.ConnectionString;

    public static MissingDatabase Create(DatabaseProvider provider, string prefix) => new(TestDatabase.Missing(provider, prefix));

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

    public void Configure(DbContextOptionsBuilder options) => _database.Configure(options);

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}

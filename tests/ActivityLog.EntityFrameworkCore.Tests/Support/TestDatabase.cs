using ActivityLog.Testing.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityLog.EntityFrameworkCore.Tests.Support;

/// <summary>The real database engines the store suite runs against.</summary>
public enum DatabaseProvider
{
    /// <summary>An SQLite file in a temporary folder (the embedded default).</summary>
    Sqlite,

    /// <summary>A fresh database on the local PostgreSQL server (scripts/postgres.sh starts it).</summary>
    PostgreSql,
}

/// <summary>
/// One fresh, empty database for one test: an SQLite file or a new PostgreSQL database, dropped on dispose.
/// <see cref="Configure"/> points any context at it.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _sqliteFolder;

    private TestDatabase(DatabaseProvider provider, string connectionString, string? sqliteFolder)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _sqliteFolder = sqliteFolder;
    }

    /// <summary>Both providers, for <c>[MemberData]</c> theories.</summary>
    public static TheoryData<DatabaseProvider> Providers => new() { DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql };

    /// <summary>The engine.</summary>
    public DatabaseProvider Provider { get; }

    /// <summary>The connection string of this database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates a fresh database.</summary>
    /// <param name="provider">The engine.</param>
    /// <param name="prefix">A readable part of the database name.</param>
    /// <returns>The database.</returns>
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider, string prefix = "store") =>
        provider == DatabaseProvider.Sqlite
            ? Sqlite(prefix)
            : new TestDatabase(provider, await PostgresServer.Main.CreateDatabaseAsync(prefix), sqliteFolder: null);

    /// <summary>
    /// A database that does not exist yet (an SQLite file not yet written, a PostgreSQL database not yet created), for
    /// tests of database creation; dispose drops whatever got created.
    /// </summary>
    /// <param name="provider">The engine.</param>
    /// <param name="prefix">A readable part of the database name.</param>
    /// <returns>The database, not created.</returns>
    internal static TestDatabase Missing(DatabaseProvider provider, string prefix) =>
        provider == DatabaseProvider.Sqlite
            ? Sqlite(prefix)
            : new TestDatabase(
                provider,
                new NpgsqlConnectionStringBuilder(PostgresServer.Main.ConnectionString) { Database = PostgresServer.NewDatabaseName(prefix) }.ToString(),
                sqliteFolder: null);

    /// <summary>A file in a fresh temporary folder, which SQLite creates on first open.</summary>
    private static TestDatabase Sqlite(string prefix)
    {
        string folder = Path.Combine(Path.GetTempPath(), "activitylog-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var builder = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, $"{prefix}.db"), Pooling = false };
        return new TestDatabase(DatabaseProvider.Sqlite, builder.ToString(), folder);
    }

    /// <summary>Points a context at this database.</summary>
    /// <param name="options">The context's options builder.</param>
    public void Configure(DbContextOptionsBuilder options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Provider == DatabaseProvider.Sqlite)
        {
            options.UseSqlite(ConnectionString);
        }
        else
        {
            options.UseNpgsql(ConnectionString);
        }
    }

    /// <summary>Options for a context type, pointed at this database.</summary>
    /// <typeparam name="TContext">The context type.</typeparam>
    /// <returns>The options.</returns>
    public DbContextOptions<TContext> Options<TContext>()
        where TContext : DbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>();
        Configure(builder);
        return builder.Options;
    }

    /// <inheritdoc />
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
                // A file still open by a test's leaked connection stays in the temp folder; nothing to assert here.
            }
        }
    }
}

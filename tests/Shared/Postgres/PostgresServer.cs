using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace ActivityLog.Testing.Postgres;

/// <summary>
/// A PostgreSQL server the tests run against: <see cref="Main"/> (cluster 15/main on 127.0.0.1:5432) for databases,
/// <see cref="Outage"/> (cluster 15/outage on 127.0.0.1:5433) for tests that stop and start their server.
/// <c>scripts/postgres.sh start</c> (run by <c>scripts/test.sh</c>) sets both up; an unreachable server fails the
/// test with that advice, it never skips it.
/// </summary>
/// <remarks>
/// Each test asks for a database of its own (<see cref="CreateDatabaseAsync"/>) and drops it when done
/// (<see cref="DropDatabaseAsync"/>). <see cref="MainEnvironmentVariable"/> and
/// <see cref="OutageEnvironmentVariable"/> point the tests at other servers: a full Npgsql connection string whose
/// role may create databases (its <c>Database</c>, <c>postgres</c> when unset, is only used to create and drop them).
/// </remarks>
internal sealed class PostgresServer
{
    /// <summary>The environment variable that replaces the connection string of <see cref="Main"/>.</summary>
    public const string MainEnvironmentVariable = "ACTIVITYLOG_TEST_POSTGRES";

    /// <summary>The environment variable that replaces the connection string of <see cref="Outage"/>.</summary>
    public const string OutageEnvironmentVariable = "ACTIVITYLOG_TEST_POSTGRES_OUTAGE";

    /// <summary>The PostgreSQL major version of the local clusters.</summary>
    public const string ClusterVersion = "15";

    private const string DefaultHost = "127.0.0.1";
    private const string DefaultUser = "activitylog";
    private const string DefaultPassword = "activitylog";
    private const string MaintenanceDatabase = "postgres";
    private const int MaxIdentifierLength = 63;
    private const string SetupAdvice = "Run scripts/postgres.sh start (as root) to set up and start the test servers";

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly string _adminConnectionString;
    private readonly bool _pooledDatabases;

    private PostgresServer(string clusterName, int port, string environmentVariable, bool pooledDatabases)
    {
        ClusterName = clusterName;
        EnvironmentVariable = environmentVariable;
        _pooledDatabases = pooledDatabases;

        var configured = Environment.GetEnvironmentVariable(environmentVariable);
        NpgsqlConnectionStringBuilder builder;
        if (string.IsNullOrWhiteSpace(configured))
        {
            builder = new NpgsqlConnectionStringBuilder
            {
                Host = DefaultHost,
                Port = port,
                Username = DefaultUser,
                Password = DefaultPassword,
                Database = MaintenanceDatabase,
                // Loopback only: TLS would only slow every connect down.
                SslMode = SslMode.Disable,
            };
        }
        else
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(configured);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"{environmentVariable} is not a valid Npgsql connection string: {ex.Message}", ex);
            }

            builder.Database ??= MaintenanceDatabase;
            IsOverridden = true;
        }

        builder.Timeout = 5;
        builder.IncludeErrorDetail = true;
        // Connections that create, drop and probe never come from a pool: a stopped or restarted server leaves
        // nothing broken behind.
        builder.Pooling = false;
        _adminConnectionString = builder.ConnectionString;
        Host = builder.Host ?? DefaultHost;
        Port = builder.Port;
        Username = builder.Username ?? DefaultUser;
    }

    /// <summary>Cluster 15/main on 127.0.0.1:5432, shared by every test that needs a database.</summary>
    public static PostgresServer Main { get; } = new("main", 5432, MainEnvironmentVariable, pooledDatabases: true);

    /// <summary>
    /// Cluster 15/outage on 127.0.0.1:5433, which tests stop (<see cref="StopAsync"/>) and start
    /// (<see cref="StartAsync"/>) to simulate an outage. Its database connection strings have <c>Pooling=false</c>,
    /// so no pooled connection outlives a restart. Tests that stop it belong in one non-parallel test collection.
    /// </summary>
    public static PostgresServer Outage { get; } = new("outage", 5433, OutageEnvironmentVariable, pooledDatabases: false);

    /// <summary>The local cluster's name (<c>main</c> or <c>outage</c>), as <c>pg_ctlcluster 15 NAME</c> knows it.</summary>
    public string ClusterName { get; }

    /// <summary>The environment variable that replaces this server's connection string.</summary>
    public string EnvironmentVariable { get; }

    /// <summary>Whether <see cref="EnvironmentVariable"/> replaced the default connection string.</summary>
    public bool IsOverridden { get; }

    /// <summary>The server's host.</summary>
    public string Host { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>The login role.</summary>
    public string Username { get; }

    /// <summary>The unpooled connection string to the maintenance database (<c>postgres</c> by default).</summary>
    public string ConnectionString => _adminConnectionString;

    /// <summary>
    /// Creates an empty database named <c>{prefix}_{guid}</c> (lowercase, at most 63 characters) and returns its
    /// connection string. Drop it with <see cref="DropDatabaseAsync"/>.
    /// </summary>
    /// <param name="prefix">Tells whose database it is, such as the test class; letters, digits and underscores are kept.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <exception cref="InvalidOperationException">The server is unreachable or refused the login.</exception>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var name = NewDatabaseName(prefix);
        await ExecuteAsync($"CREATE DATABASE {QuoteIdentifier(name)}", cancellationToken).ConfigureAwait(false);

        var database = new NpgsqlConnectionStringBuilder(_adminConnectionString)
        {
            Database = name,
            Pooling = _pooledDatabases,
        };
        return database.ConnectionString;
    }

    /// <summary>
    /// Drops the database that <paramref name="connectionString"/> (from <see cref="CreateDatabaseAsync"/>) names,
    /// closing its pooled connections first and any other connection to it by force. Dropping a database that no
    /// longer exists does nothing.
    /// </summary>
    /// <param name="connectionString">A connection string that <see cref="CreateDatabaseAsync"/> returned.</param>
    /// <param name="cancellationToken">Cancels the drop.</param>
    /// <exception cref="ArgumentException">The connection string names no database, the maintenance database or another server.</exception>
    /// <exception cref="InvalidOperationException">The server is unreachable or refused the login.</exception>
    public async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var admin = new NpgsqlConnectionStringBuilder(_adminConnectionString);
        var name = target.Database;
        if (string.IsNullOrEmpty(name) || IsSystemDatabase(name) || string.Equals(name, admin.Database, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Refusing to drop database '{name}': it is not a test database.", nameof(connectionString));
        }

        if (!string.Equals(target.Host, admin.Host, StringComparison.OrdinalIgnoreCase) || target.Port != admin.Port)
        {
            throw new ArgumentException(
                $"The database '{name}' is on {target.Host}:{target.Port}, not on this server ({Host}:{Port}).",
                nameof(connectionString));
        }

        // Idle pooled connections to the database would otherwise keep sockets to a database that is gone.
        using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await ExecuteAsync($"DROP DATABASE IF EXISTS {QuoteIdentifier(name)} WITH (FORCE)", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the outage cluster (<c>pg_ctlcluster 15 outage stop -m fast</c>) and waits until it refuses
    /// connections. Stopping a stopped server does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">This is not the outage server, or the command failed.</exception>
    /// <exception cref="TimeoutException">The server still accepted connections after 60 seconds.</exception>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        EnsureControllable();
        var result = await PgCtlCluster.RunAsync(ClusterVersion, ClusterName, ["stop", "-m", "fast"], WaitLimit, cancellationToken)
            .ConfigureAwait(false);
        // Exit code 2: the cluster was not running.
        if (result.ExitCode is not (0 or 2))
        {
            throw new InvalidOperationException($"{result.Command} exited with {result.ExitCode}: {result.Output}");
        }

        await WaitUntilAsync(accepting: false, result, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the outage cluster (<c>pg_ctlcluster 15 outage start</c>) and waits until it accepts connections.
    /// Starting a running server does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">This is not the outage server, or the command failed.</exception>
    /// <exception cref="TimeoutException">The server did not accept connections within 60 seconds.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        EnsureControllable();
        var result = await PgCtlCluster.RunAsync(ClusterVersion, ClusterName, ["start"], WaitLimit, cancellationToken)
            .ConfigureAwait(false);
        // Exit code 2: the cluster was already running.
        if (result.ExitCode is not (0 or 2))
        {
            throw new InvalidOperationException(
                $"{result.Command} exited with {result.ExitCode}: {result.Output} " +
                $"(see /var/log/postgresql/postgresql-{ClusterVersion}-{ClusterName}.log). {SetupAdvice}.");
        }

        await WaitUntilAsync(accepting: true, result, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether the server accepts a login right now (one short, unpooled attempt).</summary>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    public async Task<bool> IsAcceptingConnectionsAsync(CancellationToken cancellationToken = default) =>
        await TryConnectAsync(cancellationToken).ConfigureAwait(false) is null;

    /// <summary>Throws, with the advice to run <c>scripts/postgres.sh start</c>, unless the server accepts a login.</summary>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <exception cref="InvalidOperationException">The server is unreachable or refused the login.</exception>
    public async Task EnsureAvailableAsync(CancellationToken cancellationToken = default)
    {
        var failure = await TryConnectAsync(cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            throw Unreachable(failure);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"PostgreSQL {ClusterName} ({Username}@{Host}:{Port})";

    /// <summary>A new database name: the prefix made a valid lowercase identifier, an underscore and a GUID.</summary>
    internal static string NewDatabaseName(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var suffix = Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
        var maxPrefixLength = MaxIdentifierLength - 1 - suffix.Length;

        var name = new StringBuilder(MaxIdentifierLength);
        if (!char.IsAsciiLetter(prefix[0]) && prefix[0] != '_')
        {
            name.Append("db_");
        }

        foreach (var c in prefix)
        {
            if (name.Length == maxPrefixLength)
            {
                break;
            }

            name.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_');
        }

        return name.Append('_').Append(suffix).ToString();
    }

    private static bool IsSystemDatabase(string name) =>
        name is MaintenanceDatabase or "template0" or "template1";

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private void EnsureControllable()
    {
        if (!ReferenceEquals(this, Outage))
        {
            throw new InvalidOperationException(
                $"Only the outage server is stopped and started by tests; {this} is shared by every test that needs a database.");
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = new NpgsqlCommand(sql, connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_adminConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex) when (IsConnectFailure(ex))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Unreachable(ex);
        }
    }

    /// <summary>One short login and <c>SELECT 1</c>; the failure, or null when the server answered.</summary>
    private async Task<Exception?> TryConnectAsync(CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Timeout = 2, CommandTimeout = 5 };
        var connection = new NpgsqlConnection(probe.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                var command = new NpgsqlCommand("SELECT 1", connection);
                await using (command.ConfigureAwait(false))
                {
                    await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                }

                return null;
            }
            catch (Exception ex) when (IsConnectFailure(ex))
            {
                return ex;
            }
        }
    }

    private async Task WaitUntilAsync(bool accepting, PgCtlCluster.Result command, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            var failure = await TryConnectAsync(cancellationToken).ConfigureAwait(false);
            if ((failure is null) == accepting)
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                var state = accepting ? $"does not accept connections ({failure?.Message})" : "still accepts connections";
                throw new TimeoutException(
                    $"{this} {state} {WaitLimit.TotalSeconds:0} s after {command.Command} " +
                    $"(exit code {command.ExitCode}: {command.Output}).");
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private InvalidOperationException Unreachable(Exception failure) =>
        new(
            $"{this} is not available: {failure.Message.TrimEnd('.')}. {SetupAdvice}" +
            (IsOverridden ? $", or fix {EnvironmentVariable}." : $", or set {EnvironmentVariable} to the connection string of another server."),
            failure);

    private static bool IsConnectFailure(Exception ex) =>
        ex is NpgsqlException or SocketException or IOException or TimeoutException;
}

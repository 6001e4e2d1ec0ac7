using System.Collections.Concurrent;
using System.Data.Common;
using ActivityLog.Extensibility;
using ActivityLog.Testing.Postgres;
using ActivityLog.EntityFrameworkCore.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;

/// <summary>A fresh database on a test PostgreSQL server, dropped on dispose.</summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private PostgresDatabase(PostgresServer server, string connectionString)
    {
        Server = server;
        ConnectionString = connectionString;
    }

    public PostgresServer Server { get; }

    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync(PostgresServer server, string prefix) =>
        new(server, await server.CreateDatabaseAsync(prefix));

    public DbContextOptions<TContext> Options<TContext>(CommandLog? log = null)
        where TContext : DbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>();
        Configure(builder, log);
        // The contexts built by hand here (table creation, row reads) are those of a host with a delivery package, as
        // the outbox tests' hosts are: their model, and so the tables they create, include the outbox.
        ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(new OutboxModelExtension());
        return builder.Options;
    }

    public void Configure(DbContextOptionsBuilder builder, CommandLog? log = null)
    {
        builder.UseNpgsql(ConnectionString);
        if (log is not null)
        {
            builder.AddInterceptors(log);
        }
    }

    public TContext NewContext<TContext>()
        where TContext : DbContext =>
        (TContext)Activator.CreateInstance(typeof(TContext), Options<TContext>())!;

    /// <summary>Creates the context's tables, as the host's migration would.</summary>
    public async Task CreateTablesAsync<TContext>()
        where TContext : DbContext
    {
        await using var context = NewContext<TContext>();
        await context.Database.EnsureCreatedAsync();
    }

    public async Task<List<StoredActivityLogEvent>> ReadRowsAsync<TContext>()
        where TContext : DbContext
    {
        await using var context = NewContext<TContext>();
        return await context.Set<StoredActivityLogEvent>().AsNoTracking().OrderBy(r => r.Id).ToListAsync();
    }

    /// <summary>Runs a scalar query with plain Npgsql: what is really in the database, whatever the model says.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        // A test that failed while its server was stopped still leaves a server the next test can use.
        if (ReferenceEquals(Server, PostgresServer.Outage))
        {
            await Server.StartAsync();
        }

        await Server.DropDatabaseAsync(ConnectionString);
    }
}

/// <summary>Remembers the SQL that EF Core sent, to tell which write path ran.</summary>
internal sealed class CommandLog : DbCommandInterceptor
{
    private readonly ConcurrentQueue<string> _commands = new();

    public IReadOnlyCollection<string> Commands => _commands;

    public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        _commands.Enqueue(result.CommandText);
        return result;
    }
}

/// <summary>Builds services with ActivityLog, the EF Core store and (optionally) the COPY writer.</summary>
internal static class StoreServices
{
    public static readonly DateTimeOffset Now = new(2024, 12, 9, 10, 11, 24, TimeSpan.Zero);

    public static ServiceProvider Create<TContext>(
        PostgresDatabase database, bool binaryCopy = true, CommandLog? log = null, Action<ActivityLogStoreOptions>? store = null)
        where TContext : DbContext
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<TContext>(o => database.Configure(o, log));
        var activityLog = services.AddActivityLog().AddEntityFrameworkStore<TContext>(store);
        if (binaryCopy)
        {
            activityLog.UsePostgreSqlBinaryCopy();
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    public static IActivitySink Sink(IServiceProvider services) => services.GetServices<IActivitySink>().Single();

    public static async Task<List<ActivityLogEvent>> ProcessAsync(IServiceProvider services, IEnumerable<ActivityLogEvent> events)
    {
        var batch = events.ToList();
        await services.GetRequiredService<IActivityLogEventProcessor>().ProcessAsync(batch, CancellationToken.None);
        return batch;
    }

    public static Task<List<ActivityLogEvent>> ProcessedEventsAsync(IServiceProvider services, int count, string prefix = "r") =>
        ProcessAsync(services, Enumerable.Range(0, count).Select(i => new ActivityLogEvent
        {
            Name = "activity_log.webhook.updated",
            Actor = ActivityActor.User(783, "Jane Doe"),
            Resource = new ActivityResource("webhook", $"{prefix}{i}", "Logging"),
            Changes = [ActivityChange.Of("url", "https://old.example", $"https://new.example/{i}")],
            Timestamp = Now.AddTicks(i * 10),
            AccountId = "acct-1",
            Metadata = new Dictionary<string, object?> { ["plan"] = i % 2 == 0 ? "pro" : "free", ["seq"] = i },
        }));
}

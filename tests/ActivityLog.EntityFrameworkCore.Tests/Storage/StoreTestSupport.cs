using System.Data.Common;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Tests.Storage;

/// <summary>A host's own context with the activity log in its model, under the default names.</summary>
public sealed class StoreTestContext(DbContextOptions<StoreTestContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog();
}

/// <summary>A host's context that renames the activity log table and puts it in its own schema.</summary>
public sealed class RenamedStoreTestContext(DbContextOptions<RenamedStoreTestContext> options) : DbContext(options)
{
    public const string Table = "audit_trail";
    public const string Schema = "audit";

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.AddActivityLog(o =>
        {
            o.TableName = Table;
            o.Schema = Schema;
        });
}

/// <summary>How a host registers its context.</summary>
public enum ContextRegistration
{
    AddDbContext,
    AddDbContextPool,
    AddDbContextFactory,

    /// <summary>Only an <see cref="IDbContextFactory{TContext}"/> singleton, registered by hand (no scoped context).</summary>
    FactoryOnly,
}

/// <summary>Database set-up, the real pipeline and row reads shared by the store tests.</summary>
internal static class StoreTestSupport
{
    /// <summary>The moment the test events happened: microsecond precision, which every provider keeps.</summary>
    public static readonly DateTimeOffset Now = new(2024, 12, 9, 10, 11, 24, TimeSpan.Zero);

    /// <summary>Creates the context's tables in the test database (what a migration does in an app).</summary>
    public static async Task CreateTablesAsync<TContext>(TestDatabase database)
        where TContext : DbContext
    {
        await using var context = NewContext<TContext>(database);
        await context.Database.EnsureCreatedAsync();
    }

    public static TContext NewContext<TContext>(TestDatabase database)
        where TContext : DbContext =>
        (TContext)Activator.CreateInstance(typeof(TContext), database.Options<TContext>())!;

    /// <summary>
    /// A context built by hand with the options a host's store gives its context: the outbox tables are in its model
    /// when the host configured deliveries (a delivery package or subscribers), as in the host's own contexts.
    /// </summary>
    public static TContext NewContext<TContext>(TestDatabase database, IServiceProvider host)
        where TContext : DbContext
    {
        var options = OutboxRegistration.DeliveriesConfigured(host) ? OptionsWithDeliveries<TContext>(database) : database.Options<TContext>();
        return (TContext)Activator.CreateInstance(typeof(TContext), options)!;
    }

    /// <summary>The options the store gives the context of a host with a delivery package (its model maps the outbox).</summary>
    public static DbContextOptions<TContext> OptionsWithDeliveries<TContext>(TestDatabase database)
        where TContext : DbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>();
        database.Configure(builder);
        ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(new OutboxModelExtension());
        return builder.Options;
    }

    /// <summary>Every stored row, oldest id first.</summary>
    public static async Task<List<StoredActivityLogEvent>> ReadRowsAsync<TContext>(TestDatabase database)
        where TContext : DbContext
    {
        await using var context = NewContext<TContext>(database);
        var rows = await context.Set<StoredActivityLogEvent>().AsNoTracking().ToListAsync();
        return [.. rows.OrderBy(r => r.Id)];
    }

    /// <summary>Counts rows with plain SQL against the table name given, so a test sees what is really in the database.</summary>
    public static async Task<long> CountRowsAsync<TContext>(TestDatabase database, string qualifiedTable)
        where TContext : DbContext
    {
        await using var context = NewContext<TContext>(database);
        var connection = context.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {qualifiedTable}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Services with ActivityLog and the EF Core store on <typeparamref name="TContext"/>, not hosted: for driving the
    /// sink and the pipeline directly.
    /// </summary>
    public static ServiceProvider StoreServices<TContext>(
        TestDatabase database,
        ContextRegistration registration = ContextRegistration.AddDbContext,
        Action<IServiceCollection>? configure = null)
        where TContext : DbContext
    {
        var services = new ServiceCollection();
        services.AddLogging();
        AddContext<TContext>(services, database, registration);
        services.AddActivityLog().AddEntityFrameworkStore<TContext>();
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    public static void AddContext<TContext>(IServiceCollection services, TestDatabase database, ContextRegistration registration, Action<DbContextOptionsBuilder>? extra = null)
        where TContext : DbContext
    {
        void Configure(DbContextOptionsBuilder options)
        {
            database.Configure(options);
            extra?.Invoke(options);
        }

        switch (registration)
        {
            case ContextRegistration.AddDbContext:
                services.AddDbContext<TContext>(Configure);
                break;
            case ContextRegistration.AddDbContextPool:
                services.AddDbContextPool<TContext>(Configure);
                break;
            case ContextRegistration.AddDbContextFactory:
                services.AddDbContextFactory<TContext>(Configure);
                break;
            case ContextRegistration.FactoryOnly:
                var builder = new DbContextOptionsBuilder<TContext>();
                Configure(builder);
                services.AddSingleton<IDbContextFactory<TContext>>(new PooledDbContextFactory<TContext>(builder.Options));
                break;
        }
    }

    public static EntityFrameworkActivitySink<TContext> Sink<TContext>(IServiceProvider services)
        where TContext : DbContext =>
        services.GetRequiredService<EntityFrameworkActivitySink<TContext>>();

    /// <summary>Runs events through the real pipeline (id, correlation, redaction, description), as the dispatcher does before any sink.</summary>
    public static async Task<List<ActivityLogEvent>> ProcessAsync(IServiceProvider services, IEnumerable<ActivityLogEvent> events)
    {
        var batch = events.ToList();
        await services.GetRequiredService<IActivityLogEventProcessor>().ProcessAsync(batch, CancellationToken.None);
        return batch;
    }

    /// <summary><paramref name="count"/> processed events, each with its own resource id (<c>{prefix}{i}</c>).</summary>
    public static Task<List<ActivityLogEvent>> ProcessedEventsAsync(IServiceProvider services, int count, string prefix = "r") =>
        ProcessAsync(services, Enumerable.Range(0, count).Select(i => new ActivityLogEvent
        {
            Name = "activity_log.webhook.updated",
            Actor = ActivityActor.User(783, "Jane Doe"),
            Resource = new ActivityResource("webhook", $"{prefix}{i}", "Logging"),
            Changes = [ActivityChange.Of("url", "https://old.example", "https://new.example")],
            Timestamp = Now.AddTicks(i * 10),
            AccountId = "acct-1",
        }));

    /// <summary>A real generic host with ActivityLog storing into <typeparamref name="TContext"/>, started.</summary>
    public static async Task<IHost> StartHostAsync<TContext>(
        TestDatabase database,
        Action<ActivityLogOptions> options,
        Action<DbContextOptionsBuilder>? contextOptions = null,
        Action<IServiceCollection>? services = null)
        where TContext : DbContext
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        AddContext<TContext>(builder.Services, database, ContextRegistration.AddDbContext, contextOptions);
        builder.Services.AddActivityLog(options).AddEntityFrameworkStore<TContext>();
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Whether an exception is the database's own error (not ours).</summary>
    public static bool IsDatabaseError(Exception exception) => exception is DbException || exception.InnerException is DbException;
}

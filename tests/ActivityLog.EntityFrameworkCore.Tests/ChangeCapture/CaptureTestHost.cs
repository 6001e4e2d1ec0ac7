using System.Text.Json.Nodes;
using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;

/// <summary>
/// A real generic host with ActivityLog, the EF Core store on <see cref="ShopContext"/> in a fresh database, a
/// capturing sink for the queued path, fake logging and a fake clock.
/// </summary>
internal sealed class CaptureTestHost : IAsyncDisposable
{
    private CaptureTestHost(IHost host, TestDatabase database, FakeTimeProvider time)
    {
        Host = host;
        Database = database;
        Time = time;
    }

    public IHost Host { get; }

    public TestDatabase Database { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => Host.Services;

    public IActivityRecorder Recorder => Services.GetRequiredService<IActivityRecorder>();

    public IActivityDispatcher Dispatcher => Services.GetRequiredService<IActivityDispatcher>();

    /// <summary>What reached the queued path's sinks.</summary>
    public CapturingActivitySink Queued => Services.GetRequiredService<CapturingActivitySink>();

    public FakeLogCollector Logs => Services.GetRequiredService<FakeLogCollector>();

    /// <summary>Starts a host whose <see cref="ShopContext"/> is registered with <c>AddDbContext</c> (or by <paramref name="registerContext"/>).</summary>
    public static async Task<CaptureTestHost> StartAsync(
        DatabaseProvider provider,
        Action<ActivityLogBuilder>? configure = null,
        Action<IServiceCollection, TestDatabase>? registerContext = null,
        Action<IServiceCollection>? services = null,
        bool registerStoreFirst = false)
    {
        var database = await TestDatabase.CreateAsync(provider, "capture");
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 12, 9, 10, 11, 24, TimeSpan.Zero));
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }));
        builder.Logging.ClearProviders();
        builder.Logging.AddFakeLogging();
        builder.Services.AddSingleton<TimeProvider>(time);
        var activityLog = registerStoreFirst ? builder.Services.AddActivityLog().AddCapture().AddEntityFrameworkStore<ShopContext>() : null;
        (registerContext ?? ((s, db) => s.AddDbContext<ShopContext>(db.Configure)))(builder.Services, database);
        activityLog ??= builder.Services.AddActivityLog().AddCapture().AddEntityFrameworkStore<ShopContext>();
        configure?.Invoke(activityLog);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await using (var context = StoreTestSupport.NewContext<ShopContext>(database, host.Services))
        {
            await context.Database.EnsureCreatedAsync();
        }

        await host.StartAsync();
        return new CaptureTestHost(host, database, time);
    }

    /// <summary>A context from a fresh DI scope, as a request would get it.</summary>
    public ScopedContext OpenContext() => new(Services.CreateAsyncScope());

    /// <summary>Every stored activity row, oldest first, read on a fresh context.</summary>
    public async Task<List<StoredActivityLogEvent>> EventsAsync()
    {
        await using var context = StoreTestSupport.NewContext<ShopContext>(Database, Services);
        var rows = await context.ActivityEvents.AsNoTracking().ToListAsync();

        // Ordered in memory: every test event carries the fake clock's time, and ids are time-ordered.
        return [.. rows.OrderBy(r => r.OccurredAt).ThenBy(r => r.Id.ToString("N"), StringComparer.Ordinal)];
    }

    /// <summary>Reads business rows on a fresh context.</summary>
    public async Task<T> QueryAsync<T>(Func<ShopContext, Task<T>> query)
    {
        await using var context = StoreTestSupport.NewContext<ShopContext>(Database, Services);
        return await query(context);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        await Database.DisposeAsync();
    }

    /// <summary>One changed field of a stored row, as JSON text (<c>null</c> for a JSON null).</summary>
    public static (string From, string To) Change(StoredActivityLogEvent row, string field)
    {
        var changes = JsonNode.Parse(row.Changes)!.AsObject();
        changes.ContainsKey(field).Should().BeTrue($"the event {row.Name} should record '{field}'; it records {row.Changes}");
        var change = changes[field]!.AsObject();
        return (Canonical(change["from"]), Canonical(change["to"]));
    }

    /// <summary>
    /// JSON text with object keys in ordinal order: PostgreSQL's jsonb keeps keys in its own order (shorter first),
    /// SQLite's text keeps them as written, and the tests compare values, not key order.
    /// </summary>
    public static string Canonical(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject obj => "{" + string.Join(",", obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => JsonValue.Create(p.Key)!.ToJsonString() + ":" + Canonical(p.Value))) + "}",
        JsonArray array => "[" + string.Join(",", array.Select(Canonical)) + "]",
        _ => node.ToJsonString(),
    };

    /// <summary>The changed fields of a stored row, in name order.</summary>
    public static IReadOnlyList<string> Fields(StoredActivityLogEvent row) =>
        [.. JsonNode.Parse(row.Changes)!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)];
}

/// <summary>A <see cref="ShopContext"/> and the DI scope it came from.</summary>
internal sealed class ScopedContext(AsyncServiceScope scope) : IAsyncDisposable
{
    public ShopContext Db { get; } = scope.ServiceProvider.GetRequiredService<ShopContext>();

    public ValueTask DisposeAsync() => scope.DisposeAsync();
}

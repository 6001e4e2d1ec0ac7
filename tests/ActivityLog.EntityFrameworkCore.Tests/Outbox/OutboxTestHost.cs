using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.EntityFrameworkCore.Tests.Outbox;

/// <summary>A destination for the tests: a name and which events it wants.</summary>
internal sealed class TestSubscriber(string destination, Func<ActivityLogEvent, bool>? accepts = null) : IActivityOutboxSubscriber
{
    public string Destination { get; } = destination;

    public bool Accepts(ActivityLogEvent activity) => accepts?.Invoke(activity) ?? true;
}

/// <summary>
/// The EF Core store on <see cref="StoreTestContext"/> in a fresh database, with outbox subscribers and a fake clock,
/// not hosted: the tests drive the sink and the outbox directly. Several instances may share one database (two
/// "processes").
/// </summary>
internal sealed class OutboxTestHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly bool _ownsDatabase;

    private OutboxTestHost(ServiceProvider services, TestDatabase database, FakeTimeProvider time, bool ownsDatabase)
    {
        Services = services;
        Database = database;
        Time = time;
        _ownsDatabase = ownsDatabase;
    }

    public ServiceProvider Services { get; }

    public TestDatabase Database { get; }

    public FakeTimeProvider Time { get; }

    public IActivityOutbox Outbox => Services.GetRequiredService<IActivityOutbox>();

    public ActivityOutboxSignal Signal => Services.GetRequiredService<ActivityOutboxSignal>();

    public static Task<OutboxTestHost> CreateAsync(DatabaseProvider provider, params IActivityOutboxSubscriber[] subscribers) =>
        CreateAsync(provider, [], subscribers);

    /// <summary>A host whose destinations come from routers (tenant subscriptions) beside the static subscribers.</summary>
    public static async Task<OutboxTestHost> CreateAsync(DatabaseProvider provider, IActivityOutboxRouter[] routers, params IActivityOutboxSubscriber[] subscribers)
    {
        var database = await TestDatabase.CreateAsync(provider, "outbox");
        var host = Create(database, ownsDatabase: true, subscribers, routers: routers);
        // Through the host's own context, as dotnet ef builds it from Program.cs: with subscribers its model has the outbox.
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<StoreTestContext>().Database.EnsureCreatedAsync();
        }

        return host;
    }

    /// <summary>A second host on the same database (another app instance).</summary>
    public OutboxTestHost Sibling(params IActivityOutboxSubscriber[] subscribers) => Create(Database, ownsDatabase: false, subscribers, Time);

    /// <summary>A second host on the same database with routers.</summary>
    public OutboxTestHost Sibling(IActivityOutboxRouter[] routers, params IActivityOutboxSubscriber[] subscribers) =>
        Create(Database, ownsDatabase: false, subscribers, Time, routers);

    private static OutboxTestHost Create(
        TestDatabase database, bool ownsDatabase, IActivityOutboxSubscriber[] subscribers, FakeTimeProvider? time = null, IActivityOutboxRouter[]? routers = null)
    {
        time ??= new FakeTimeProvider(Start);
        var services = StoreTestSupport.StoreServices<StoreTestContext>(database, configure: s =>
        {
            s.AddSingleton<TimeProvider>(time);
            foreach (var subscriber in subscribers)
            {
                s.AddSingleton(subscriber);
            }

            foreach (var router in routers ?? [])
            {
                s.AddSingleton(router);
            }
        });
        return new OutboxTestHost(services, database, time, ownsDatabase);
    }

    /// <summary><paramref name="count"/> events through the real pipeline and the queued path's sink, as one batch.</summary>
    public async Task<List<ActivityLogEvent>> WriteAsync(int count, string prefix = "r", string name = "activity_log.webhook.updated", string accountId = "acct-1")
    {
        var events = await StoreTestSupport.ProcessAsync(Services, Enumerable.Range(0, count).Select(i => new ActivityLogEvent
        {
            Name = name,
            Actor = ActivityActor.User(783, "Jane Doe"),
            Resource = new ActivityResource("webhook", $"{prefix}{i}", "Logging"),
            Timestamp = Time.GetUtcNow().AddTicks(i * 10),
            AccountId = accountId,
        }));
        await StoreTestSupport.Sink<StoreTestContext>(Services).WriteBatchAsync(events, CancellationToken.None);
        return events;
    }

    /// <summary>Every outbox delivery, in id order (none when the host's model has no outbox).</summary>
    public async Task<List<OutboxDeliveryRow>> DeliveriesAsync()
    {
        await using var context = StoreTestSupport.NewContext<StoreTestContext>(Database, Services);
        return await context.Set<OutboxDeliveryRow>().AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }

    /// <summary>Every outbox batch row.</summary>
    public async Task<List<OutboxBatchRow>> BatchesAsync()
    {
        await using var context = StoreTestSupport.NewContext<StoreTestContext>(Database, Services);
        return await context.Set<OutboxBatchRow>().AsNoTracking().ToListAsync();
    }

    public static ActivityOutboxClaim Claim(int maxEvents = 100, TimeSpan? lease = null) =>
        new() { MaxEvents = maxEvents, Lease = lease ?? TimeSpan.FromMinutes(1) };

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        if (_ownsDatabase)
        {
            await Database.DisposeAsync();
        }
    }
}

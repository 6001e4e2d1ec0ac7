using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Tests.Reading;

/// <summary>A host context of the kind an app has: its own model plus the activity log table.</summary>
public sealed class ReadingTestContext(DbContextOptions<ReadingTestContext> options) : DbContext(options)
{
    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog();
}

/// <summary>How the test registers its context: the two ways an app does.</summary>
public enum ContextRegistration
{
    /// <summary><c>AddDbContext</c>: a scoped context.</summary>
    Scoped,

    /// <summary><c>AddPooledDbContextFactory</c>: a factory only.</summary>
    PooledFactory,
}

/// <summary>
/// A fresh database with the activity log table, the store registered on a real service provider the way an app
/// registers it, and rows seeded directly through a context (ids and times under the test's control).
/// </summary>
public sealed class ReadingTestStore : IAsyncDisposable
{
    private readonly TestDatabase _database;

    private ReadingTestStore(TestDatabase database, ServiceProvider services)
    {
        _database = database;
        Services = services;
    }

    public ServiceProvider Services { get; }

    public DatabaseProvider Provider => _database.Provider;

    public IActivityLogReader Reader => Services.GetRequiredService<IActivityLogReader>();

    public static async Task<ReadingTestStore> CreateAsync(
        DatabaseProvider provider,
        Action<ActivityLogStoreOptions>? configure = null,
        ContextRegistration registration = ContextRegistration.Scoped,
        Action<IServiceCollection>? services = null,
        Action<DbContextOptionsBuilder>? configureContext = null)
    {
        var database = await TestDatabase.CreateAsync(provider, "reading");
        try
        {
            var collection = new ServiceCollection();
            if (registration == ContextRegistration.Scoped)
            {
                collection.AddDbContext<ReadingTestContext>(o =>
                {
                    database.Configure(o);
                    configureContext?.Invoke(o);
                });
            }
            else
            {
                collection.AddPooledDbContextFactory<ReadingTestContext>(o =>
                {
                    database.Configure(o);
                    configureContext?.Invoke(o);
                });
            }

            services?.Invoke(collection);
            collection.AddActivityLog().AddEntityFrameworkStore<ReadingTestContext>(configure);
            var serviceProvider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
            var store = new ReadingTestStore(database, serviceProvider);
            await using var context = store.NewContext();
            await context.Database.EnsureCreatedAsync();
            return store;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>A context outside DI, for seeding and checking rows.</summary>
    public ReadingTestContext NewContext() => new(_database.Options<ReadingTestContext>());

    public async Task InsertAsync(IEnumerable<ActivityLogEvent> events)
    {
        await using var context = NewContext();
        context.Set<StoredActivityLogEvent>().AddRange(events.Select(StoredActivityLogEvent.FromActivityLogEvent));
        await context.SaveChangesAsync();
    }

    public async Task<List<StoredActivityLogEvent>> AllRowsAsync()
    {
        await using var context = NewContext();
        return await context.Set<StoredActivityLogEvent>().AsNoTracking().ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>Events with ids and times the test controls, and the page-walking the tests share.</summary>
public static class ReadingEvents
{
    /// <summary>A whole second, so every engine stores it exactly (PostgreSQL keeps microseconds).</summary>
    public static readonly DateTimeOffset Base = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Guid RandomId(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    public static ActivityLogEvent Event(
        Guid id,
        string? accountId,
        DateTimeOffset timestamp,
        string name = "activity_log.user.updated",
        ActivityActor actor = default,
        ActivityResource? resource = null) =>
        new()
        {
            Id = id,
            Name = name,
            Description = "updated the user profile",
            Actor = actor,
            Resource = resource,
            Timestamp = timestamp,
            AccountId = accountId,
        };

    /// <summary>The page's order, computed independently: time descending, then id descending.</summary>
    public static List<ActivityLogEvent> NewestFirst(this IEnumerable<ActivityLogEvent> events) =>
        events.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id).ToList();

    /// <summary>Follows NextCursor from the query's page to the last page.</summary>
    public static async Task<List<ActivityLogPage>> ReadAllPagesAsync(this IActivityLogReader reader, ActivityLogQuery query)
    {
        var pages = new List<ActivityLogPage>();
        var current = query;
        while (true)
        {
            var page = await reader.ReadPageAsync(current);
            pages.Add(page);
            if (page.NextCursor is null)
            {
                return pages;
            }

            pages.Count.Should().BeLessThan(10_000, "a cursor chain must end");
            current = current with { Cursor = page.NextCursor };
        }
    }

    public static async Task<List<ActivityLogEvent>> ToListAsync(this IAsyncEnumerable<ActivityLogEvent> events)
    {
        var list = new List<ActivityLogEvent>();
        await foreach (var e in events)
        {
            list.Add(e);
        }

        return list;
    }

    public static IEnumerable<Guid> Ids(this IEnumerable<ActivityLogEvent> events) => events.Select(e => e.Id);
}

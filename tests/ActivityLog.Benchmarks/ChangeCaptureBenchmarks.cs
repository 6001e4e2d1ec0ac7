using System.Globalization;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The cost of automatic change capture on a one-entity <c>SaveChanges</c>, SQLite in memory (one open connection per
/// context type, <c>Data Source=:memory:</c>), in one run: (a) the plain save; (b) the same save plus one hand-written
/// audit row in the same <c>SaveChanges</c>, the floor an app pays for an atomic audit trail (the baseline); (c) the
/// plain save with automatic capture, which builds, redacts and describes the event and stores it in the same
/// transaction; (d) the same with an identity key, whose event is written when EF Core commits; (e) the save of (c) in
/// an app that also has a webhook endpoint, so that the same transaction writes the event's outbox delivery too; (f) the
/// save of (c) inside an account's scope, as a tenant's request makes it; (g) the save of (f) in an app where that
/// account has one matching webhook subscription (issue 13), so that the same transaction writes its outbox delivery.
/// (h) is a diagnostic: (g)'s app saving in an account without subscriptions, so that (g) − (h) is the outbox row alone.
/// Targets: (c) at most 1.2 × (b); (g) at most 1.3 × (f).
/// </summary>
/// <remarks>
/// Each operation adds one new entity to a long-lived context, saves, and clears the tracker (as a request with its
/// own context would end). The tables grow during the run; SQLite's B-tree inserts stay logarithmic. In (e) the
/// container is not a started host, so no worker delivers: the row is the caller's cost of the durable hand-off alone.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(5)]
[IterationCount(30)]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: GlobalCleanup disposes the connections and the services.
public class ChangeCaptureBenchmarks
#pragma warning restore CA1001
{
    private SqliteConnection _plainConnection = null!;
    private SqliteConnection _capturedConnection = null!;
    private SqliteConnection _outboxConnection = null!;
    private ServiceProvider _services = null!;
    private ServiceProvider _webhookServices = null!;
    private PlainBenchContext _plain = null!;
    private CapturedBenchContext _captured = null!;
    private OutboxBenchContext _withOutbox = null!;
    private SqliteConnection _subscriptionConnection = null!;
    private ServiceProvider _subscriptionServices = null!;
    private SubscriptionBenchContext _withSubscription = null!;
    private int _counter;

    [GlobalSetup]
    public void Setup()
    {
        // Both contexts come from the same container, so that they differ only in capture: same logging, same options path.
        _plainConnection = new SqliteConnection("Data Source=:memory:");
        _plainConnection.Open();
        _capturedConnection = new SqliteConnection("Data Source=:memory:");
        _capturedConnection.Open();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<PlainBenchContext>(o => o.UseSqlite(_plainConnection));
        services.AddDbContext<CapturedBenchContext>(o => o.UseSqlite(_capturedConnection));
        services.AddActivityLog().AddEntityFrameworkStore<CapturedBenchContext>();
        _services = services.BuildServiceProvider();
        var scope = _services.CreateScope().ServiceProvider;
        _plain = scope.GetRequiredService<PlainBenchContext>();
        _plain.Database.EnsureCreated();
        _captured = scope.GetRequiredService<CapturedBenchContext>();
        _captured.Database.EnsureCreated();

        // (e) needs its own container: webhooks apply to the whole app.
        _outboxConnection = new SqliteConnection("Data Source=:memory:");
        _outboxConnection.Open();
        var webhookServices = new ServiceCollection();
        webhookServices.AddLogging();
        webhookServices.AddDbContext<OutboxBenchContext>(o => o.UseSqlite(_outboxConnection));
        webhookServices.AddActivityLog().AddEntityFrameworkStore<OutboxBenchContext>().AddWebhooks(w =>
        {
            w.AllowLoopback = true;
            w.Endpoints["siem"] = new WebhookEndpointOptions { Url = new Uri("http://127.0.0.1:9/hooks"), Secret = WebhookReceiver.Secret };
        });
        _webhookServices = webhookServices.BuildServiceProvider();
        _withOutbox = _webhookServices.CreateScope().ServiceProvider.GetRequiredService<OutboxBenchContext>();
        _withOutbox.Database.EnsureCreated();

        // (g): an account's webhook subscription, created through the management API (the container is not started, so
        // nothing delivers and the row is the caller's cost of the durable hand-off).
        _subscriptionConnection = new SqliteConnection("Data Source=:memory:");
        _subscriptionConnection.Open();
        var subscriptionServices = new ServiceCollection();
        subscriptionServices.AddLogging();
        subscriptionServices.AddDataProtection();
        subscriptionServices.AddDbContext<SubscriptionBenchContext>(o => o.UseSqlite(_subscriptionConnection));
        subscriptionServices.AddActivityLog().AddEntityFrameworkStore<SubscriptionBenchContext>().AddWebhooks(w =>
        {
            w.Subscriptions.AllowHttp = true;
            w.Subscriptions.AllowLoopback = true;
        });
        _subscriptionServices = subscriptionServices.BuildServiceProvider();
        _withSubscription = _subscriptionServices.CreateScope().ServiceProvider.GetRequiredService<SubscriptionBenchContext>();
        _withSubscription.Database.EnsureCreated();
        using (ActivityScope.Begin(ActivityActor.User(42, "John Doe"), accountId: "acme"))
        {
            _subscriptionServices.GetRequiredService<IActivityWebhookSubscriptions>()
                .CreateAsync("acme", new WebhookSubscriptionDraft { Url = new Uri("http://127.0.0.1:9/hooks"), Description = "Logging" })
                .GetAwaiter().GetResult();
        }

        // Warm every path once so that model building is not measured.
        PlainSaveChanges();
        SaveChangesWithHandWrittenAuditRow();
        SaveChangesWithAutomaticCapture();
        SaveChangesWithAutomaticCaptureOfIdentityKey();
        SaveChangesWithAutomaticCaptureAndWebhookOutbox();
        SaveChangesInAnAccount();
        SaveChangesInAnAccountWithASubscription();
        if (_captured.ActivityEvents.Count() != 3)
        {
            throw new InvalidOperationException("Automatic capture did not store one event per save.");
        }

        if (_withOutbox.ActivityEvents.Count() != 1 ||
            _withOutbox.Database.SqlQueryRaw<long>("SELECT COUNT(*) AS \"Value\" FROM activity_outbox").AsEnumerable().Single() != 1)
        {
            throw new InvalidOperationException("The save with a webhook endpoint did not store its event and one outbox delivery.");
        }

        if (_withSubscription.ActivityEvents.Count(e => e.Name == "activity_log.widget.created") != 1 ||
            _withSubscription.Database.SqlQueryRaw<long>("SELECT COUNT(*) AS \"Value\" FROM activity_outbox WHERE destination LIKE 'webhooks:sub:%'").AsEnumerable().Single() != 1)
        {
            throw new InvalidOperationException("The save in an account with a subscription did not store its event and one outbox delivery.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _webhookServices.Dispose();
        _plainConnection.Dispose();
        _capturedConnection.Dispose();
        _outboxConnection.Dispose();
        _subscriptionServices.Dispose();
        _subscriptionConnection.Dispose();
    }

    [Benchmark(Description = "(a) plain one-entity SaveChanges")]
    public int PlainSaveChanges() => SaveNewWidget(_plain);

    [Benchmark(Baseline = true, Description = "(b) plain + one hand-written audit row, same SaveChanges")]
    public int SaveChangesWithHandWrittenAuditRow()
    {
        var widget = NewWidget();
        _plain.Widgets.Add(widget);
        _plain.ActivityEvents.Add(new StoredActivityLogEvent
        {
            Id = Guid.CreateVersion7(),
            AccountId = "acme",
            Name = "activity_log.widget.created",
            Description = "created the widget " + widget.Name,
            OccurredAt = DateTime.UtcNow,
            ActorType = "user",
            ActorId = "42",
            ActorIdIsNumber = true,
            ActorName = "Jane Doe",
            ResourceType = "widget",
            ResourceId = widget.Id.ToString(),
            ResourceName = widget.Name,
            Changes = string.Create(CultureInfo.InvariantCulture,
                $$$"""{"name":{"to":"{{{widget.Name}}}","from":null},"price_cents":{"to":{{{widget.PriceCents}}},"from":null},"quantity":{"to":{{{widget.Quantity}}},"from":null},"sku":{"to":"{{{widget.Sku}}}","from":null}}"""),
        });
        int saved = _plain.SaveChanges();
        _plain.ChangeTracker.Clear();
        return saved;
    }

    [Benchmark(Description = "(c) plain + automatic capture, same SaveChanges")]
    public int SaveChangesWithAutomaticCapture() => SaveNewWidget(_captured);

    [Benchmark(Description = "(d) automatic capture, identity key (event written at commit)")]
    public int SaveChangesWithAutomaticCaptureOfIdentityKey()
    {
        int n = ++_counter;
        _captured.Gadgets.Add(new BenchGadget { Name = "Gadget " + n.ToString(CultureInfo.InvariantCulture), Quantity = n });
        int saved = _captured.SaveChanges();
        _captured.ChangeTracker.Clear();
        return saved;
    }

    [Benchmark(Description = "(e) automatic capture + a webhook endpoint: event and outbox delivery, same SaveChanges")]
    public int SaveChangesWithAutomaticCaptureAndWebhookOutbox() => SaveNewWidget(_withOutbox);

    [Benchmark(Description = "(f) automatic capture in an account's scope, no webhooks")]
    public int SaveChangesInAnAccount()
    {
        using var account = ActivityScope.Begin(accountId: "acme");
        return SaveNewWidget(_captured);
    }

    [Benchmark(Description = "(g) (f) + one matching tenant subscription: event and outbox delivery, same SaveChanges")]
    public int SaveChangesInAnAccountWithASubscription()
    {
        using var account = ActivityScope.Begin(accountId: "acme");
        return SaveNewWidget(_withSubscription);
    }

    [Benchmark(Description = "(h) (g)'s app, save in another account (routing, no subscription matches, no outbox row)")]
    public int SaveChangesInAnotherAccountOfTheSubscriptionApp()
    {
        using var account = ActivityScope.Begin(accountId: "globex");
        return SaveNewWidget(_withSubscription);
    }

    /// <summary>One request's save: a new widget, <c>SaveChanges</c>, and the tracker cleared as the context's end would.</summary>
    private int SaveNewWidget(DbContext context)
    {
        context.Set<BenchWidget>().Add(NewWidget());
        int saved = context.SaveChanges();
        context.ChangeTracker.Clear();
        return saved;
    }

    private BenchWidget NewWidget()
    {
        int n = ++_counter;
        return new BenchWidget
        {
            Id = Guid.CreateVersion7(),
            Name = "Widget " + n.ToString(CultureInfo.InvariantCulture),
            Sku = "W-" + n.ToString(CultureInfo.InvariantCulture),
            Quantity = n,
            PriceCents = 1999,
        };
    }
}

public sealed class BenchWidget
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    public string Sku { get; set; } = "";

    public int Quantity { get; set; }

    public long PriceCents { get; set; }
}

public sealed class BenchGadget
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public int Quantity { get; set; }
}

/// <summary>The host's context without capture: a widget table and the activity log table.</summary>
public sealed class PlainBenchContext(DbContextOptions<PlainBenchContext> options) : DbContext(options)
{
    public DbSet<BenchWidget> Widgets => Set<BenchWidget>();

    public DbSet<StoredActivityLogEvent> ActivityEvents => Set<StoredActivityLogEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddActivityLog();
        modelBuilder.Entity<BenchWidget>().Property(w => w.Id).ValueGeneratedNever();
    }
}

/// <summary>The same model with capture opted in (fluently) for widgets and gadgets.</summary>
public sealed class CapturedBenchContext(DbContextOptions<CapturedBenchContext> options) : CapturedModelContext(options);

/// <summary>The captured model, for the app with a webhook endpoint (a context type per container and connection).</summary>
public sealed class OutboxBenchContext(DbContextOptions<OutboxBenchContext> options) : CapturedModelContext(options);

/// <summary>The captured model, for the app whose account has a webhook subscription.</summary>
public sealed class SubscriptionBenchContext(DbContextOptions<SubscriptionBenchContext> options) : CapturedModelContext(options);

/// <summary>The model of the capturing contexts: widgets and gadgets with capture opted in, the activity log tables.</summary>
public abstract class CapturedModelContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<BenchWidget> Widgets => Set<BenchWidget>();

    public DbSet<BenchGadget> Gadgets => Set<BenchGadget>();

    public DbSet<StoredActivityLogEvent> ActivityEvents => Set<StoredActivityLogEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddActivityLog();
        modelBuilder.Entity<BenchWidget>(w =>
        {
            w.Property(x => x.Id).ValueGeneratedNever();
            w.CaptureActivity(c => c.ResourceType("widget"));
        });
        modelBuilder.Entity<BenchGadget>().CaptureActivity();
    }
}

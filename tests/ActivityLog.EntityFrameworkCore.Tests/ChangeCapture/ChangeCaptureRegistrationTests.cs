using ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Tests.ChangeCapture;

/// <summary>
/// The interceptor reaches the host's context however the host registers it (scoped, factory, pooled, in either order
/// with the store), and a context configured by hand with <c>UseActivityLog</c>; misconfiguration fails clearly.
/// </summary>
public sealed class ChangeCaptureRegistrationTests
{
    public static TheoryData<DatabaseProvider, string> Registrations
    {
        get
        {
            var data = new TheoryData<DatabaseProvider, string>();
            foreach (var provider in TestDatabase.Providers)
            {
                foreach (var registration in new[] { "store-first", "factory", "pooled-factory" })
                {
                    data.Add(provider, registration);
                }
            }

            return data;
        }
    }

    [Theory, MemberData(nameof(Registrations))]
    public async Task Contexts_from_factories_and_pools_capture_and_record(DatabaseProvider provider, string registration)
    {
        await using var host = await CaptureTestHost.StartAsync(
            provider,
            registerContext: registration switch
            {
                "factory" => (s, db) => s.AddDbContextFactory<ShopContext>(db.Configure),
                "pooled-factory" => (s, db) => s.AddPooledDbContextFactory<ShopContext>(db.Configure),
                _ => null,
            },
            registerStoreFirst: registration == "store-first");

        await using (var context = registration == "store-first"
            ? host.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<ShopContext>()
            : await host.Services.GetRequiredService<IDbContextFactory<ShopContext>>().CreateDbContextAsync())
        {
            using var activities = context.RecordActivities();
            context.Customers.Add(new Customer { Name = "Jane Doe" });
            host.Recorder.Record("activity_log.customer.invited", new ActivityResource("customer", "1", "Jane Doe"));
            await context.SaveChangesAsync();
        }

        (await host.EventsAsync()).Select(e => e.Name).Should().BeEquivalentTo("activity_log.customer.created", "activity_log.customer.invited");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_pooled_context_starts_every_lease_clean(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider, registerContext: (s, db) => s.AddDbContextPool<ShopContext>(db.Configure));
        DbContextId first;
        await using (var scope = host.OpenContext())
        {
            first = scope.Db.ContextId;

            // A unit of work that is never disposed, on a context that goes back to the pool.
            _ = scope.Db.RecordActivities();
            host.Recorder.Record("activity_log.customer.invited", new ActivityResource("customer", "1", "Leaked"));
        }

        await using (var scope = host.OpenContext())
        {
            scope.Db.ContextId.InstanceId.Should().Be(first.InstanceId, "the pool hands out the same instance");
            scope.Db.ContextId.Lease.Should().NotBe(first.Lease);
            scope.Db.Customers.Add(new Customer { Name = "Next lease" });
            await scope.Db.SaveChangesAsync();
        }

        (await host.EventsAsync()).Select(e => e.ResourceName).Should().Equal(["Next lease"], "the previous lease's unsaved event is not stored by the next one");
        host.Logs.GetSnapshot().Should().Contain(r => r.Level == LogLevel.Warning && r.Id.Id == 2400 && r.Message.Contains("activity_log.customer.invited", StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task UseActivityLog_adds_the_interceptor_once_to_a_context_built_by_hand(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);
        var options = new DbContextOptionsBuilder<ShopContext>();
        host.Database.Configure(options);
        options.UseActivityLog(host.Services).UseActivityLog(host.Services);

        await using (var context = new ShopContext(options.Options))
        {
            context.Customers.Add(new Customer { Name = "Jane Doe" });
            await context.SaveChangesAsync();
        }

        (await host.EventsAsync()).Should().ContainSingle("one interceptor records one event per change");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Misconfiguration_fails_with_a_message_that_says_what_to_do(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider);

        await using (var bare = new ShopContext(host.Database.Options<ShopContext>()))
        {
            var open = () => bare.RecordActivities();
            open.Should().Throw<InvalidOperationException>().WithMessage("*AddEntityFrameworkStore<ShopContext>()*UseActivityLog*");
        }

        var options = new DbContextOptionsBuilder<TablelessContext>();
        host.Database.Configure(options);
        await using var tableless = new TablelessContext(options.UseActivityLog(host.Services).Options);
        await tableless.Database.ExecuteSqlRawAsync("CREATE TABLE \"Gadgets\" (\"Id\" varchar(36) PRIMARY KEY, \"Name\" text NOT NULL)");
        tableless.Gadgets.Add(new Gadget { Id = Guid.NewGuid().ToString(), Name = "Widget" });
        var save = () => tableless.SaveChangesAsync();
        (await save.Should().ThrowAsync<InvalidOperationException>()).WithInnerException<InvalidOperationException>()
            .WithMessage("*modelBuilder.AddActivityLog()*");
        (await tableless.Gadgets.AsNoTracking().CountAsync()).Should().Be(0);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_retrying_execution_strategy_still_stores_generated_keys_in_the_same_transaction(DatabaseProvider provider)
    {
        await using var host = await CaptureTestHost.StartAsync(provider, registerContext: (s, db) => s.AddDbContext<ShopContext>(o =>
        {
            db.Configure(o);
            if (provider == DatabaseProvider.Sqlite)
            {
                o.UseSqlite(db.ConnectionString, sqlite => sqlite.ExecutionStrategy(d => new RetryingStrategy(d)));
            }
            else
            {
                o.UseNpgsql(db.ConnectionString, npgsql => npgsql.EnableRetryOnFailure());
            }
        }));

        var customer = new Customer { Name = "Jane Doe" };
        await using (var scope = host.OpenContext())
        {
            scope.Db.Database.CreateExecutionStrategy().RetriesOnFailure.Should().BeTrue();
            scope.Db.Customers.Add(customer);
            await scope.Db.SaveChangesAsync();
        }

        (await host.EventsAsync()).Should().ContainSingle().Which.ResourceId.Should().Be(customer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>An execution strategy that retries (none of these errors), so that SaveChanges runs the way it does under one.</summary>
    private sealed class RetryingStrategy(ExecutionStrategyDependencies dependencies) : ExecutionStrategy(dependencies, 3, TimeSpan.FromMilliseconds(10))
    {
        protected override bool ShouldRetryOn(Exception exception) => false;
    }

    [Fact]
    public void Fluent_configuration_rejects_what_cannot_be_captured()
    {
        var builder = new ModelBuilder();
        var badType = () => builder.Entity<Gadget>().CaptureActivity(c => c.ResourceType("Gadget-Type"));
        badType.Should().Throw<ArgumentException>().WithMessage("*lowercase letters, digits and underscores*");

        var notAProperty = () => builder.Entity<Gadget>().CaptureActivity(c => c.Name(g => g.Name.Length));
        notAProperty.Should().Throw<ArgumentException>();
    }

    private sealed class TablelessContext(DbContextOptions<TablelessContext> options) : DbContext(options)
    {
        public DbSet<Gadget> Gadgets => Set<Gadget>();

        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Gadget>().CaptureActivity();
    }

    private sealed class Gadget
    {
        public string Id { get; set; } = "";

        public string Name { get; set; } = "";
    }
}

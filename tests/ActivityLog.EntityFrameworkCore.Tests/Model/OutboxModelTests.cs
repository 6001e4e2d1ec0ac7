using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Tests.Outbox;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using static ActivityLog.EntityFrameworkCore.Tests.Storage.StoreTestSupport;

namespace ActivityLog.EntityFrameworkCore.Tests.Model;

/// <summary>A host context that opts out of the outbox tables whatever the host configures.</summary>
public sealed class NoOutboxContext(DbContextOptions<NoOutboxContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog(o => o.MapOutbox = false);
}

/// <summary>A host context built outside DI (an IDesignTimeDbContextFactory's) that asks for the outbox tables itself.</summary>
public sealed class ExplicitOutboxContext(DbContextOptions<ExplicitOutboxContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog(o => o.MapOutbox = true);
}

/// <summary>
/// The outbox tables enter the host's model, and so its migrations, only when a delivery package (its marker) or an
/// outbox subscriber is configured in the host's services; models are cached per configuration, not per context type.
/// </summary>
public sealed class OutboxModelTests
{
    // The tables of durable delivery: the outbox and, mapped under the same condition, the accounts' subscriptions and attempts.
    private static readonly string[] OutboxTables =
    [
        ActivityLogModelOptions.DefaultOutboxTableName, ActivityLogModelOptions.DefaultOutboxBatchTableName,
        ActivityLogModelOptions.DefaultSubscriptionTableName, ActivityLogModelOptions.DefaultDeliveryAttemptTableName,
    ];

    [Fact]
    public async Task A_model_without_a_delivery_package_has_no_outbox_entity_types()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "outbox_model_none");
        await using var services = StoreServices<StoreTestContext>(database);

        var model = ModelOf<StoreTestContext>(services);

        model.FindEntityType(typeof(StoredActivityLogEvent)).Should().NotBeNull();
        model.FindEntityType(typeof(OutboxDeliveryRow)).Should().BeNull();
        model.FindEntityType(typeof(OutboxBatchRow)).Should().BeNull();
        OutboxWriter.IsMapped(model).Should().BeFalse();
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_delivery_package_or_a_registered_subscriber_brings_the_outbox_entity_types(bool marker, bool subscriber)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "outbox_model_some");
        await using var services = StoreServices<StoreTestContext>(database, configure: s =>
        {
            if (marker)
            {
                s.AddSingleton<ActivityDeliveryMarker>();
            }

            if (subscriber)
            {
                s.AddSingleton<IActivityOutboxSubscriber>(new TestSubscriber("webhooks:orders"));
            }
        });

        var model = ModelOf<StoreTestContext>(services);

        model.FindEntityType(typeof(OutboxDeliveryRow))!.GetTableName().Should().Be(ActivityLogModelOptions.DefaultOutboxTableName);
        model.FindEntityType(typeof(OutboxBatchRow))!.GetTableName().Should().Be(ActivityLogModelOptions.DefaultOutboxBatchTableName);
        // The mark that carried the decision into OnModelCreating is gone before the model is finalized (and snapshotted).
        model.FindAnnotation(OutboxModelConvention.Annotation).Should().BeNull();
    }

    [Theory]
    [InlineData(ContextRegistration.AddDbContext)]
    [InlineData(ContextRegistration.AddDbContextPool)]
    [InlineData(ContextRegistration.AddDbContextFactory)]
    public async Task Two_hosts_with_the_same_context_type_and_different_deliveries_do_not_share_a_cached_model(ContextRegistration registration)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "outbox_model_cache");
        // Both orders: whichever host builds the context type's model first, the other still gets its own.
        for (int round = 0; round < 2; round++)
        {
            await using var plain = StoreServices<StoreTestContext>(database, registration);
            await using var delivering = StoreServices<StoreTestContext>(database, registration, s => s.AddSingleton<ActivityDeliveryMarker>());
            var (first, second) = round == 0 ? (plain, delivering) : (delivering, plain);

            var firstModel = ModelOf<StoreTestContext>(first, registration);
            var secondModel = ModelOf<StoreTestContext>(second, registration);

            OutboxWriter.IsMapped(firstModel).Should().Be(first == delivering);
            OutboxWriter.IsMapped(secondModel).Should().Be(second == delivering);
            OutboxWriter.IsMapped(ModelOf<StoreTestContext>(plain, registration)).Should().BeFalse();
            OutboxWriter.IsMapped(ModelOf<StoreTestContext>(delivering, registration)).Should().BeTrue();
        }
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_migration_from_an_empty_database_creates_the_outbox_tables_only_with_deliveries(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "outbox_model_migration");
        await using var plain = StoreServices<StoreTestContext>(database);
        await using var delivering = StoreServices<StoreTestContext>(database, configure: s => s.AddSingleton<ActivityDeliveryMarker>());

        var without = CreatedTables(plain);
        var with = CreatedTables(delivering);

        without.Should().Contain([ActivityLogModelOptions.DefaultTableName, ActivityLogModelOptions.DefaultQuarantineTableName]).And.NotContain(OutboxTables);
        with.Should().BeEquivalentTo([.. without, .. OutboxTables]);

        // And the step a host takes when it adds the webhooks package to an app that already migrated: a migration that
        // creates exactly the delivery tables (what dotnet ef migrations add computes from the last snapshot).
        await using var scope = delivering.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<StoreTestContext>();
        var before = DesignTimeModel(plain).GetRelationalModel();
        var step = context.GetService<IMigrationsModelDiffer>().GetDifferences(before, context.GetService<IDesignTimeModel>().Model.GetRelationalModel());
        step.OfType<CreateTableOperation>().Select(t => t.Name).Should().BeEquivalentTo(OutboxTables);
        step.Should().OnlyContain(o => o is CreateTableOperation || o is CreateIndexOperation);
    }

    [Fact]
    public async Task A_context_built_by_hand_maps_the_outbox_when_its_model_asks_for_it()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "outbox_model_explicit");
        await using (var plain = new StoreTestContext(database.Options<StoreTestContext>()))
        {
            OutboxWriter.IsMapped(plain.Model).Should().BeFalse();
        }

        await using var context = new ExplicitOutboxContext(database.Options<ExplicitOutboxContext>());
        OutboxWriter.IsMapped(context.Model).Should().BeTrue();
        await context.Database.EnsureCreatedAsync();
        (await context.Set<OutboxDeliveryRow>().CountAsync()).Should().Be(0);
    }

    [Fact]
    public async Task Deliveries_configured_for_a_model_without_the_outbox_fail_the_write_with_what_to_do()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "outbox_model_missing");
        await CreateTablesAsync<NoOutboxContext>(database);
        await using var services = StoreServices<NoOutboxContext>(database, configure: s => s.AddSingleton<IActivityOutboxSubscriber>(new TestSubscriber("webhooks:orders")));
        OutboxWriter.IsMapped(ModelOf<NoOutboxContext>(services)).Should().BeFalse();

        var events = await ProcessedEventsAsync(services, 1);
        var write = () => Sink<NoOutboxContext>(services).WriteBatchAsync(events, CancellationToken.None);

        (await write.Should().ThrowAsync<Exception>()).Which.ToString().Should()
            .Contain("Deliveries are configured").And.Contain(nameof(NoOutboxContext)).And.Contain("MapOutbox = true").And.Contain("add a migration");
        (await ReadRowsAsync<NoOutboxContext>(database)).Should().BeEmpty();
    }

    /// <summary>The model of the host's context, resolved the way the host registered it.</summary>
    private static IModel ModelOf<TContext>(IServiceProvider services, ContextRegistration registration = ContextRegistration.AddDbContext)
        where TContext : DbContext
    {
        if (registration is ContextRegistration.AddDbContextFactory or ContextRegistration.FactoryOnly)
        {
            using var made = services.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContext();
            return made.Model;
        }

        using var scope = services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<TContext>().Model;
    }

    /// <summary>The design-time model (what dotnet ef diffs) of the host's <see cref="StoreTestContext"/>.</summary>
    private static IModel DesignTimeModel(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<StoreTestContext>().GetService<IDesignTimeModel>().Model;
    }

    /// <summary>The tables a first migration of the host's context creates (EF Core's own model differ, as dotnet ef runs it).</summary>
    private static List<string> CreatedTables(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var context = scope.ServiceProvider.GetRequiredService<StoreTestContext>();
        var operations = context.GetService<IMigrationsModelDiffer>().GetDifferences(null, context.GetService<IDesignTimeModel>().Model.GetRelationalModel());
        return [.. operations.OfType<CreateTableOperation>().Select(t => t.Name)];
    }
}

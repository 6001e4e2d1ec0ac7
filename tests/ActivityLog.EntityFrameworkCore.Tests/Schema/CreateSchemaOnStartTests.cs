using ActivityLog.EntityFrameworkCore.Schema;
using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.Tests.Model;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Testing.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ActivityLog.EntityFrameworkCore.Tests.Schema;

/// <summary><see cref="ActivityLogStoreOptions.CreateSchemaOnStart"/> on real SQLite files and a real PostgreSQL server.</summary>
public sealed class CreateSchemaOnStartTests
{
    private static readonly string[] DefaultIndexes =
    [
        "ix_activity_events_account_actor",
        "ix_activity_events_account_name",
        "ix_activity_events_account_resource",
        "ix_activity_events_account_time",
        "ix_activity_events_occurred_at",
    ];

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_missing_database_is_created_with_the_table_and_its_indexes_before_the_first_event_is_written(DatabaseProvider provider)
    {
        await using var database = MissingDatabase.Create(provider, "schema_fresh");
        (await database.ExistsAsync()).Should().BeFalse("the test starts from nothing");

        await using var host = StoreTestHost.Create((_, log) =>
            log.AddEntityFrameworkStore(database.Configure, o => o.CreateSchemaOnStart = true));
        // Recorded before the host starts: the dispatcher's very first batch holds it. With sink retries off, a write
        // that ran before the table existed would lose the event.
        host.Recorder.Record("activity_log.user.created", resource: new ActivityResource("user", 783, "Jane Doe"), accountId: "acct_1");
        await host.Host.StartAsync();
        await host.Dispatcher.FlushAsync();

        (await database.ExistsAsync()).Should().BeTrue();
        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Should().Equal(Qualified(provider, "activity_events"), Qualified(provider, "activity_quarantine"));
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_events"))
            .Should().Contain(DefaultIndexes).And.HaveCount(DefaultIndexes.Length + (provider == DatabaseProvider.Sqlite ? 1 : 2),
                "the five indexes of the model plus the primary key's, and on PostgreSQL the search index (GIN)");
        if (provider == DatabaseProvider.Sqlite)
        {
            (await DatabaseCatalog.VirtualTablesAsync(database.ConnectionString)).Should().Equal(["activity_events_search"], "SQLite's search index is an FTS5 table");
        }
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_quarantine"))
            .Should().Contain(["ix_activity_quarantine_quarantined_at", "ux_activity_quarantine_event_sink"], "the quarantine table comes with its indexes");
        (await DatabaseCatalog.ScalarAsync(provider, database.ConnectionString, "SELECT count(*) FROM activity_events WHERE name = 'activity_log.user.created'"))
            .Should().Be(1);
        host.Logs.GetSnapshot().Should().Contain(r => IsSchemaLog(r, SchemaLog.CreatedId), "creation is logged");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task In_a_database_that_already_holds_the_hosts_tables_only_the_activity_log_table_is_added(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "schema_host");
        await using (var before = new CustomersOnlyContext(database.Options<CustomersOnlyContext>()))
        {
            await before.Database.EnsureCreatedAsync();
            before.Customers.Add(new Customer { Name = "Acme" });
            await before.SaveChangesAsync();
        }

        // This is why the option cannot simply call EnsureCreated: with any table present, it creates nothing.
        await using (var shop = new ShopContext(database.Options<ShopContext>()))
        {
            (await shop.Database.EnsureCreatedAsync()).Should().BeFalse();
        }

        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Should().Equal(Qualified(provider, "customers"));

        await using (var host = await StoreTestHost.StartAsync((services, log) =>
        {
            services.AddDbContext<ShopContext>(database.Configure);
            log.AddEntityFrameworkStore<ShopContext>(o => o.CreateSchemaOnStart = true);
        }))
        {
            host.Recorder.Record("activity_log.customer.updated", resource: new ActivityResource("customer", 1, "Acme"), accountId: "acct_1");
            await host.Dispatcher.FlushAsync();
        }

        // Our tables are added; the host's own missing table (orders) is the host's business, not ours.
        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString))
            .Should().Equal(Qualified(provider, "activity_events"), Qualified(provider, "activity_quarantine"), Qualified(provider, "customers"));
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_events")).Should().Contain(DefaultIndexes);
        (await DatabaseCatalog.ScalarAsync(provider, database.ConnectionString, "SELECT count(*) FROM customers WHERE \"Name\" = 'Acme'")).Should().Be(1);
        (await DatabaseCatalog.ScalarAsync(provider, database.ConnectionString, "SELECT count(*) FROM activity_events")).Should().Be(1);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_second_start_changes_nothing_and_keeps_the_stored_events(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "schema_twice");
        await using (var first = await StartStandaloneAsync(database))
        {
            first.Recorder.Record("activity_log.user.created", accountId: "acct_1");
            await first.Dispatcher.FlushAsync();
            first.Logs.GetSnapshot().Should().Contain(r => IsSchemaLog(r, SchemaLog.CreatedId));
        }

        var tables = await DatabaseCatalog.TablesAsync(provider, database.ConnectionString);
        var indexes = await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_events");

        await using (var second = await StartStandaloneAsync(database))
        {
            second.Logs.GetSnapshot().Should().Contain(r => IsSchemaLog(r, SchemaLog.AlreadyThereId), "the second start finds everything in place")
                .And.NotContain(r => IsSchemaLog(r, SchemaLog.CreatedId), "and creates nothing");
            second.Recorder.Record("activity_log.user.updated", accountId: "acct_1");
            await second.Dispatcher.FlushAsync();
        }

        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Should().Equal(tables);
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_events")).Should().Equal(indexes);
        (await DatabaseCatalog.ScalarAsync(provider, database.ConnectionString, "SELECT count(*) FROM activity_events")).Should().Be(2);

        // The same through the method itself: nothing left to create.
        await using var context = new ActivityLogDbContext(database.Options<ActivityLogDbContext>());
        (await ActivityLogSchemaInitializer<ActivityLogDbContext>.EnsureSchemaAsync(context, NullLogger.Instance, default)).Should().BeFalse();
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task An_index_missing_from_an_existing_table_is_added_back(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "schema_index");
        await using (var context = new ActivityLogDbContext(database.Options<ActivityLogDbContext>()))
        {
            await context.Database.EnsureCreatedAsync();
        }

        await DatabaseCatalog.ExecuteAsync(provider, database.ConnectionString, "DROP INDEX ix_activity_events_account_name");
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_events")).Should().NotContain("ix_activity_events_account_name");

        await using (await StartStandaloneAsync(database))
        {
        }

        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_events")).Should().Contain(DefaultIndexes);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_renamed_table_is_created_under_its_name_and_schema(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "schema_renamed");
        await using (var host = await StoreTestHost.StartAsync((services, log) =>
        {
            services.AddDbContext<RenamedLogContext>(database.Configure);
            log.AddEntityFrameworkStore<RenamedLogContext>(o => o.CreateSchemaOnStart = true);
            // A delivery package's marker: the outbox tables are created too, and follow the table's schema.
            services.AddSingleton<ActivityDeliveryMarker>();
        }))
        {
            host.Recorder.Record("activity_log.user.created", accountId: "acct_1");
            await host.Dispatcher.FlushAsync();
        }

        // SQLite has no schemas: EF Core ignores the configured one there. The outbox, subscription and quarantine tables follow the table's schema.
        string table = provider == DatabaseProvider.Sqlite ? "audit_events" : "audit.audit_events";
        string prefix = provider == DatabaseProvider.Sqlite ? "" : "audit.";
        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Should().Equal(
            $"{prefix}activity_log_delivery_attempts", $"{prefix}activity_log_subscriptions",
            $"{prefix}activity_outbox", $"{prefix}activity_outbox_batches", $"{prefix}activity_quarantine", table);
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "audit_events"))
            .Should().Contain(DefaultIndexes.Select(i => i.Replace("activity_events", "audit_events", StringComparison.Ordinal)));
        (await DatabaseCatalog.ScalarAsync(provider, database.ConnectionString, $"SELECT count(*) FROM {table}")).Should().Be(1);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Instances_starting_together_all_succeed_and_create_the_database_and_table_once(DatabaseProvider provider)
    {
        await using var database = MissingDatabase.Create(provider, "schema_race");
        var contexts = Enumerable.Range(0, 4).Select(_ =>
        {
            var options = new DbContextOptionsBuilder<ActivityLogDbContext>();
            database.Configure(options);
            return new ActivityLogDbContext(options.Options);
        }).ToList();
        try
        {
            var created = await Task.WhenAll(contexts.Select(c =>
                Task.Run(() => ActivityLogSchemaInitializer<ActivityLogDbContext>.EnsureSchemaAsync(c, NullLogger.Instance, default))));
            created.Should().Contain(true, "one of them created the database and the table");
        }
        finally
        {
            foreach (var context in contexts)
            {
                await context.DisposeAsync();
            }
        }

        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Should().Equal(Qualified(provider, "activity_events"), Qualified(provider, "activity_quarantine"));
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_events")).Should().Contain(DefaultIndexes);
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task With_the_option_off_nothing_is_created(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "schema_off");
        await using (await StoreTestHost.StartAsync((_, log) => log.AddEntityFrameworkStore(database.Configure)))
        {
        }

        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Should().BeEmpty();
    }

    [Fact]
    public async Task An_unreachable_SQLite_file_fails_the_start_naming_the_table_and_the_provider()
    {
        string folder = Path.Combine(Path.GetTempPath(), "activitylog-tests", Guid.NewGuid().ToString("N"), "no-such-folder");
        await using var host = StoreTestHost.Create((_, log) => log.AddEntityFrameworkStore(
            db => db.UseSqlite($"Data Source={Path.Combine(folder, "activity.db")}"),
            o => o.CreateSchemaOnStart = true));

        var failure = await host.Host.Invoking(h => h.StartAsync()).Should().ThrowAsync<InvalidOperationException>();
        failure.Which.Message.Should().Contain("\"activity_events\"").And.Contain("Microsoft.EntityFrameworkCore.Sqlite")
            .And.Contain("unable to open database file", "the cause is in the message");
        failure.Which.InnerException.Should().BeAssignableTo<System.Data.Common.DbException>();
    }

    [Fact]
    public async Task A_refused_PostgreSQL_login_fails_the_start_naming_the_table_and_the_provider_but_not_the_password()
    {
        const string WrongPassword = "not-the-password-5f2c";
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql, "schema_login");
        string connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Password = WrongPassword }.ToString();
        await using var host = StoreTestHost.Create((_, log) => log.AddEntityFrameworkStore(
            db => db.UseNpgsql(connectionString),
            o => o.CreateSchemaOnStart = true));

        var failure = await host.Host.Invoking(h => h.StartAsync()).Should().ThrowAsync<InvalidOperationException>();
        failure.Which.Message.Should().Contain("\"activity_events\"").And.Contain("Npgsql.EntityFrameworkCore.PostgreSQL")
            .And.Contain("password authentication failed").And.NotContain(WrongPassword);
    }

    [Fact]
    public async Task A_model_without_the_activity_log_fails_the_start_with_the_fix()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "schema_nomodel");
        await using var host = StoreTestHost.Create((services, log) =>
        {
            services.AddDbContext<CustomersOnlyContext>(database.Configure);
            log.AddEntityFrameworkStore<CustomersOnlyContext>(o => o.CreateSchemaOnStart = true);
        });

        var failure = await host.Host.Invoking(h => h.StartAsync()).Should().ThrowAsync<InvalidOperationException>();
        failure.Which.Message.Should().Contain("CustomersOnlyContext").And.Contain("modelBuilder.AddActivityLog()");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_context_registered_only_through_a_factory_is_used(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "schema_factory");
        await using (await StoreTestHost.StartAsync((services, log) =>
        {
            services.AddDbContextFactory<ShopContext>(database.Configure);
            log.AddEntityFrameworkStore<ShopContext>(o => o.CreateSchemaOnStart = true);
        }))
        {
        }

        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Should().Contain(Qualified(provider, "activity_events"));
    }

    [Fact]
    public async Task Writers_awaiting_readiness_share_one_attempt_and_a_failed_attempt_is_retried()
    {
        await using var database = MissingDatabase.Create(DatabaseProvider.Sqlite, "schema_retry");
        string folder = Path.GetDirectoryName(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource)!;
        Directory.Delete(folder);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddActivityLog().AddEntityFrameworkStore(database.Configure, o => o.CreateSchemaOnStart = true);
        await using var provider = services.BuildServiceProvider();
        var initializer = provider.GetRequiredService<ActivityLogSchemaInitializer<ActivityLogDbContext>>();

        // The folder is missing: the attempt fails, and every waiter sees that failure.
        var waiters = new[] { initializer.WhenReadyAsync(default), initializer.WhenReadyAsync(default) };
        foreach (var waiter in waiters)
        {
            await waiter.Invoking(w => w).Should().ThrowAsync<InvalidOperationException>();
        }

        // Once the cause is gone, the next writer's wait starts a new attempt, which succeeds.
        Directory.CreateDirectory(folder);
        await initializer.WhenReadyAsync(default);
        (await DatabaseCatalog.TablesAsync(DatabaseProvider.Sqlite, database.ConnectionString)).Should().Equal("activity_events", "activity_quarantine");
        initializer.WhenReadyAsync(default).IsCompletedSuccessfully.Should().BeTrue("a finished attempt answers at once");
    }

    [Fact]
    public void With_the_option_off_writers_never_wait()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddActivityLog().AddEntityFrameworkStore(db => db.UseSqlite("Data Source=never-opened.db"));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<ActivityLogSchemaInitializer<ActivityLogDbContext>>().WhenReadyAsync(default)
            .IsCompletedSuccessfully.Should().BeTrue();
        File.Exists("never-opened.db").Should().BeFalse();
    }

    private static Task<StoreTestHost> StartStandaloneAsync(TestDatabase database) =>
        StoreTestHost.StartAsync((_, log) => log.AddEntityFrameworkStore(database.Configure, o => o.CreateSchemaOnStart = true));

    private static bool IsSchemaLog(Microsoft.Extensions.Logging.Testing.FakeLogRecord record, int id) =>
        record.Id.Id == id && record.Category!.StartsWith("ActivityLog.EntityFrameworkCore.Schema.", StringComparison.Ordinal);

    private static string Qualified(DatabaseProvider provider, string table) =>
        provider == DatabaseProvider.Sqlite ? table : $"public.{table}";
}

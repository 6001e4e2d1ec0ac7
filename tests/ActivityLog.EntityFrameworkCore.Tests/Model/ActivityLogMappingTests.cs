using ActivityLog.EntityFrameworkCore.Tests.Schema;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ActivityLog.EntityFrameworkCore.Tests.Model;

/// <summary><c>modelBuilder.AddActivityLog()</c> in a host's own model, checked in the model and in real databases.</summary>
public sealed class ActivityLogMappingTests
{
    private static readonly string[] JsonColumns = ["related_resources", "changes", "context", "metadata"];

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_table_and_schema_set_in_the_callback_are_used_for_the_table_its_key_and_its_indexes(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "mapping_renamed");
        // As a host with a delivery package configures it, so that the outbox tables are in the model too.
        await using var context = new RenamedLogContext(StoreTestSupport.OptionsWithDeliveries<RenamedLogContext>(database));
        var entity = context.Model.FindEntityType(typeof(StoredActivityLogEvent))!;

        entity.GetTableName().Should().Be("audit_events");
        entity.GetSchema().Should().Be("audit");
        entity.FindPrimaryKey()!.GetName().Should().Be("pk_audit_events");
        string[] indexes =
        [
            "ix_audit_events_account_time", "ix_audit_events_account_actor", "ix_audit_events_account_resource",
            "ix_audit_events_account_name", "ix_audit_events_occurred_at",
        ];
        // PostgreSQL's search index (GIN over the generated tsvector) is part of the model; SQLite's FTS5 table is not.
        entity.GetIndexes().Select(i => i.GetDatabaseName()).Should().BeEquivalentTo(
            provider == DatabaseProvider.PostgreSql ? [.. indexes, "ix_audit_events_search"] : indexes);

        await context.Database.EnsureCreatedAsync();
        context.Add(StoredActivityLogEvent.FromActivityLogEvent(SampleEvent()));
        await context.SaveChangesAsync();

        // SQLite has no schemas (EF Core ignores the configured one there); PostgreSQL gets the table in "audit".
        string table = provider == DatabaseProvider.Sqlite ? "audit_events" : "audit.audit_events";
        // The outbox, subscription and quarantine tables follow the activity log table into its schema.
        string prefix = provider == DatabaseProvider.Sqlite ? "" : "audit.";
        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Should().Equal(
            $"{prefix}activity_log_delivery_attempts", $"{prefix}activity_log_subscriptions",
            $"{prefix}activity_outbox", $"{prefix}activity_outbox_batches", $"{prefix}activity_quarantine", table);
        (await DatabaseCatalog.ScalarAsync(provider, database.ConnectionString, $"SELECT count(*) FROM {table}")).Should().Be(1);
    }

    [Fact]
    public async Task The_models_default_schema_is_followed_when_the_callback_sets_none()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql, "mapping_default_schema");
        await using var context = new DefaultSchemaContext(database.Options<DefaultSchemaContext>());

        context.Model.FindEntityType(typeof(StoredActivityLogEvent))!.GetSchema().Should().Be(DefaultSchemaContext.Schema);
        await context.Database.EnsureCreatedAsync();
        (await DatabaseCatalog.TablesAsync(DatabaseProvider.PostgreSql, database.ConnectionString)).Should().Equal("app.activity_events", "app.activity_quarantine");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Json_columns_are_jsonb_on_PostgreSQL_and_text_on_SQLite(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "mapping_json");
        await using var context = new MigrationHostContext(database.Options<MigrationHostContext>());
        var table = StoreObjectIdentifier.Table("activity_events");
        var entity = context.Model.FindEntityType(typeof(StoredActivityLogEvent))!;

        // The provider detection in AddActivityLog, against the real Npgsql and SQLite providers.
        string expected = provider == DatabaseProvider.PostgreSql ? "jsonb" : "TEXT";
        entity.GetProperties().Where(p => JsonColumns.Contains(p.GetColumnName(table)))
            .Select(p => p.GetColumnType()).Should().HaveCount(4).And.AllBe(expected);

        await context.Database.EnsureCreatedAsync();
        var columns = (await DatabaseCatalog.ColumnTypesAsync(provider, database.ConnectionString, "activity_events")).ToDictionary();
        JsonColumns.Select(c => columns[c]).Should().AllBe(expected);

        // jsonb is real JSON in the database: PostgreSQL's operators reach inside it.
        if (provider == DatabaseProvider.PostgreSql)
        {
            context.Add(StoredActivityLogEvent.FromActivityLogEvent(SampleEvent()));
            await context.SaveChangesAsync();
            (await DatabaseCatalog.ScalarAsync(provider, database.ConnectionString,
                "SELECT count(*) FROM activity_events WHERE changes -> 'name' ->> 'to' = 'Janet'")).Should().Be(1);
        }
    }

    [Fact]
    public async Task A_json_column_type_set_by_the_host_wins_over_the_detection()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql, "mapping_json_type");
        await using var context = new JsonColumnTypeContext(database.Options<JsonColumnTypeContext>());
        await context.Database.EnsureCreatedAsync();

        var columns = (await DatabaseCatalog.ColumnTypesAsync(DatabaseProvider.PostgreSql, database.ConnectionString, "activity_events")).ToDictionary();
        JsonColumns.Select(c => columns[c]).Should().AllBe("json");

        // json keeps the text as written, so the changes keep their order; jsonb would sort the keys ("id" first).
        var recorded = SampleEvent();
        recorded = new ActivityLogEvent
        {
            Id = recorded.Id,
            Name = recorded.Name,
            Timestamp = recorded.Timestamp,
            Changes = [ActivityChange.Of("name", "Jane", "Janet"), ActivityChange.Of("id", 1, 2)],
        };
        context.Add(StoredActivityLogEvent.FromActivityLogEvent(recorded));
        await context.SaveChangesAsync();
        context.ChangeTracker.Clear();
        (await context.Set<StoredActivityLogEvent>().SingleAsync()).ToActivityLogEvent().Changes.Select(c => c.Field).Should().Equal("name", "id");
    }

    [Fact]
    public async Task Jsonb_reads_object_keys_back_sorted_by_length_not_in_the_order_written()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.PostgreSql, "mapping_jsonb_order");
        await using var context = new MigrationHostContext(database.Options<MigrationHostContext>());
        await context.Database.EnsureCreatedAsync();
        var recorded = SampleEvent();
        context.Add(StoredActivityLogEvent.FromActivityLogEvent(new ActivityLogEvent
        {
            Id = recorded.Id,
            Name = recorded.Name,
            Timestamp = recorded.Timestamp,
            Changes = [ActivityChange.Of("name", "Jane", "Janet"), ActivityChange.Of("id", 1, 2)],
        }));
        await context.SaveChangesAsync();
        context.ChangeTracker.Clear();

        // Documented in the README: PostgreSQL's jsonb normalizes key order; "to" still precedes "from".
        var changes = (await context.Set<StoredActivityLogEvent>().SingleAsync()).ToActivityLogEvent().Changes;
        changes.Select(c => c.Field).Should().Equal("id", "name");
        changes[1].To!.ToString().Should().Be("Janet");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_hosts_own_entities_and_the_activity_log_live_in_one_model_and_save_in_one_SaveChanges(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "mapping_host");
        var recorded = SampleEvent();
        await using (var context = new ShopContext(database.Options<ShopContext>()))
        {
            await context.Database.EnsureCreatedAsync();
            var customer = new Customer { Name = "Acme" };
            customer.Orders.Add(new Order { Total = 42.5m });
            context.Customers.Add(customer);
            context.ActivityEvents.Add(StoredActivityLogEvent.FromActivityLogEvent(recorded));
            (await context.SaveChangesAsync()).Should().Be(3);
        }

        (await DatabaseCatalog.TablesAsync(provider, database.ConnectionString)).Select(t => t.Split('.')[^1])
            .Should().Equal("activity_events", "activity_quarantine", "customers", "orders");

        await using (var context = new ShopContext(database.Options<ShopContext>()))
        {
            (await context.Customers.Include(c => c.Orders).SingleAsync()).Orders.Should().ContainSingle().Which.Total.Should().Be(42.5m);
            var stored = (await context.ActivityEvents.SingleAsync()).ToActivityLogEvent();
            stored.Should().BeEquivalentTo(recorded, o => o.Excluding(e => e.Timestamp));
            stored.Timestamp.Should().Be(recorded.Timestamp);
            stored.Actor.NumericId.Should().Be(783, "a numeric actor id reads back as a number");
        }
    }

    [Fact]
    public void An_empty_table_name_is_refused()
    {
        var builder = new ModelBuilder();
        builder.Invoking(b => b.AddActivityLog(o => o.TableName = " ")).Should().Throw<ArgumentException>().WithMessage("*needs a name*");
    }

    private static ActivityLogEvent SampleEvent() => new()
    {
        Id = Guid.CreateVersion7(StoreTestHost.Now),
        Name = "activity_log.user.updated",
        Description = "updated the user profile",
        Actor = ActivityActor.User(783, "Jane Doe"),
        Resource = new ActivityResource("user", "783", "Jane Doe"),
        RelatedResources = [new ActivityResource("team", "7", "Core")],
        Changes = [ActivityChange.Of("name", "Jane", "Janet")],
        Timestamp = StoreTestHost.Now,
        AccountId = "acct_1",
        Context = new ActivityRequestContext { IpAddress = "203.0.113.7", AuthMethod = "GitHub" },
        Metadata = new Dictionary<string, object?> { ["plan"] = "pro" },
    };
}

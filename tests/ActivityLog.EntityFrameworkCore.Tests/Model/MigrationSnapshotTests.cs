using System.Reflection;
using System.Text.Json;
using ActivityLog.EntityFrameworkCore.Tests.Schema;
using ActivityLog.EntityFrameworkCore.Tests.Storage;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using ActivityLog.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Tests.Model;

/// <summary>
/// What <c>dotnet ef migrations add</c> and <c>EnsureCreated</c> make of a host model that calls
/// <c>modelBuilder.AddActivityLog()</c>, per provider: the scaffolded migration (through EF Core's own design-time
/// services, as the dotnet-ef tool builds them) and the create script, as reviewed snapshots.
/// </summary>
public sealed class MigrationSnapshotTests
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Code for people to read: quotes stay quotes, not \u0022.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_migration_scaffolded_for_a_host_context_with_the_activity_log(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "migration");
        await using var context = new MigrationHostContext(database.Options<MigrationHostContext>());

        var migration = Scaffold(context, "AddActivityLog", "App");

        migration.MigrationCode.Should().Contain("migrationBuilder.CreateTable(").And.Contain("name: \"activity_events\"")
            .And.Contain("name: \"activity_quarantine\"").And.Contain("migrationBuilder.DropTable(");
        migration.MigrationCode.Should().NotContain("activity_outbox", "no delivery package is configured");
        SnapshotAssert.Matches(Lines(migration.MigrationCode), $"migration.{provider}");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_migration_scaffolded_for_a_host_context_with_a_delivery_package_adds_the_outbox_tables(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "migration_deliveries");
        await using var context = new MigrationHostContext(StoreTestSupport.OptionsWithDeliveries<MigrationHostContext>(database));

        var migration = Scaffold(context, "AddActivityLog", "App");

        migration.MigrationCode.Should().Contain("name: \"activity_events\"").And.Contain("name: \"activity_outbox\"")
            .And.Contain("name: \"activity_outbox_batches\"").And.Contain("name: \"activity_quarantine\"");
        // The mark that told the model about the deliveries stays out of the model snapshot.
        migration.SnapshotCode.Should().NotContain("ActivityLog:");
        SnapshotAssert.Matches(Lines(migration.MigrationCode), $"migration-with-deliveries.{provider}");
    }

    [Theory, MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_create_script_of_a_host_context_with_the_activity_log_runs_as_written_on_a_real_database(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "create_script");
        await using var context = new MigrationHostContext(database.Options<MigrationHostContext>());

        string script = context.Database.GenerateCreateScript();
        SnapshotAssert.Matches(Lines(script), $"create-script.{provider}");

        // Run as written, with plain ADO.NET: it builds the table, its key and its five indexes (six on PostgreSQL, with
        // the search index), and the model can use it.
        await DatabaseCatalog.ExecuteAsync(provider, database.ConnectionString, script);
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_events")).Should().HaveCount(provider == DatabaseProvider.Sqlite ? 6 : 7);
        // The quarantine table: its key, the unique (event, sink) index that makes adds idempotent, the listing's index.
        (await DatabaseCatalog.IndexesAsync(provider, database.ConnectionString, "activity_quarantine")).Should()
            .Contain(["ix_activity_quarantine_quarantined_at", "ux_activity_quarantine_event_sink"]).And.HaveCount(3);
        (await context.Set<StoredActivityLogEvent>().CountAsync()).Should().Be(0);
    }

    /// <summary>
    /// Builds the design-time services the way the dotnet-ef tool does — EF Core's, the provider's (named by the
    /// provider assembly's <see cref="DesignTimeProviderServicesAttribute"/>), the context's — and scaffolds a migration.
    /// </summary>
    private static ScaffoldedMigration Scaffold(DbContext context, string name, string rootNamespace)
    {
        var services = new ServiceCollection()
            .AddEntityFrameworkDesignTimeServices()
            .AddDbContextDesignTimeServices(context);
        var providerAssembly = Assembly.Load(new AssemblyName(context.Database.ProviderName!));
        var attribute = providerAssembly.GetCustomAttribute<DesignTimeProviderServicesAttribute>()!;
        var providerServices = (IDesignTimeServices)Activator.CreateInstance(providerAssembly.GetType(attribute.TypeName, throwOnError: true)!)!;
        providerServices.ConfigureDesignTimeServices(services);

        using var designTime = services.BuildServiceProvider();
        return designTime.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration(name, rootNamespace, subNamespace: "Migrations", language: "C#");
    }

    /// <summary>Code as a JSON array of lines, so that a snapshot diff reads line by line.</summary>
    private static string Lines(string code) =>
        JsonSerializer.Serialize(code.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'), Indented);
}

using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Tests.Model;

/// <summary>A host's own entity: the kind of table an app already has when it adds the activity log.</summary>
public sealed class Customer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public List<Order> Orders { get; } = [];
}

/// <summary>A second host entity with a foreign key, so the host model is more than one table.</summary>
public sealed class Order
{
    public int Id { get; set; }

    public int CustomerId { get; set; }

    public decimal Total { get; set; }
}

/// <summary>A host context: its own tables plus <c>modelBuilder.AddActivityLog()</c> with the defaults.</summary>
public class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
{
    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<StoredActivityLogEvent> ActivityEvents => Set<StoredActivityLogEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Customer>(customer =>
        {
            customer.ToTable("customers");
            customer.Property(c => c.Name).HasMaxLength(200);
            customer.HasMany(c => c.Orders).WithOne().HasForeignKey(o => o.CustomerId);
        });
        modelBuilder.Entity<Order>().ToTable("orders");
        modelBuilder.AddActivityLog();
    }
}

/// <summary>The host's tables only, as its database looked before it added the activity log.</summary>
public class CustomersOnlyContext(DbContextOptions<CustomersOnlyContext> options) : DbContext(options)
{
    public DbSet<Customer> Customers => Set<Customer>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Customer>(customer =>
        {
            customer.ToTable("customers");
            customer.Property(c => c.Name).HasMaxLength(200);
            customer.Ignore(c => c.Orders);
        });
    }
}

/// <summary>A host that renames the activity log table and puts it in its own schema.</summary>
public class RenamedLogContext(DbContextOptions<RenamedLogContext> options) : DbContext(options)
{
    public const string Table = "audit_events";
    public const string Schema = "audit";

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.AddActivityLog(o =>
        {
            o.TableName = Table;
            o.Schema = Schema;
        });
}

/// <summary>A host that picks the JSON column type itself (<c>json</c> rather than <c>jsonb</c>).</summary>
public class JsonColumnTypeContext(DbContextOptions<JsonColumnTypeContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.AddActivityLog(o => o.JsonColumnType = "json");
}

/// <summary>A host whose default schema is set on the model (<c>HasDefaultSchema</c>), which the table follows.</summary>
public class DefaultSchemaContext(DbContextOptions<DefaultSchemaContext> options) : DbContext(options)
{
    public const string Schema = "app";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.AddActivityLog();
    }
}

/// <summary>A host context that adds only the activity log: what <c>dotnet ef migrations add</c> sees for our part.</summary>
public class MigrationHostContext(DbContextOptions<MigrationHostContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog();
}

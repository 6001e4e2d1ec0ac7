using ActivityLog.Redaction;
using Microsoft.EntityFrameworkCore;

namespace ActivityLog.EntityFrameworkCore.Tests.ChangeCapture.Shop;

/// <summary>
/// A small host model for the capture tests: a customer with an identity key, an owned address, a sensitive property
/// and an ignored one (captured by attribute); orders with client-generated keys, owned lines and many-to-many tags
/// (captured fluently); tags and notes that are not captured.
/// </summary>
public sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
{
    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<Tag> Tags => Set<Tag>();

    public DbSet<Note> Notes => Set<Note>();

    public DbSet<StoredActivityLogEvent> ActivityEvents => Set<StoredActivityLogEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddActivityLog();
        modelBuilder.Entity<Customer>(customer =>
        {
            customer.HasIndex(c => c.Email).IsUnique();
            customer.OwnsOne(c => c.ShippingAddress);
            customer.ComplexProperty(c => c.CreditLimit);
        });
        modelBuilder.Entity<Order>(order =>
        {
            order.CaptureActivity(c => c.ResourceType("order").Name(o => o.Number));
            order.Property(o => o.Id).ValueGeneratedNever();
            // A client-generated key: SQLite cannot generate the second column of a composite key.
            order.OwnsMany(o => o.Lines, line => line.Property<Guid>("Id"));
            order.HasMany(o => o.Tags).WithMany();
            order.HasOne(o => o.Customer).WithMany(c => c.Orders).HasForeignKey(o => o.CustomerId);
        });
    }
}

[CaptureActivity(IgnoredProperties = [nameof(LastSeenAt)])]
public sealed class Customer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string? Email { get; set; }

    [SensitiveData]
    public string? TaxNumber { get; set; }

    public int Tier { get; set; }

    public DateTime? LastSeenAt { get; set; }

    public Address? ShippingAddress { get; set; }

    public Money CreditLimit { get; set; } = new();

    public List<Order> Orders { get; } = [];
}

public sealed class Address
{
    public string Street { get; set; } = "";

    public string City { get; set; } = "";
}

public sealed class Money
{
    public long Cents { get; set; }

    public string Currency { get; set; } = "EUR";
}

public sealed class Order
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public string Number { get; set; } = "";

    public long TotalCents { get; set; }

    public int CustomerId { get; set; }

    public Customer? Customer { get; set; }

    public List<OrderLine> Lines { get; } = [];

    public List<Tag> Tags { get; } = [];
}

public sealed class OrderLine
{
    public string Sku { get; set; } = "";

    public int Quantity { get; set; }
}

public sealed class Tag
{
    public int Id { get; set; }

    public string Label { get; set; } = "";
}

public sealed class Note
{
    public int Id { get; set; }

    public string Text { get; set; } = "";
}

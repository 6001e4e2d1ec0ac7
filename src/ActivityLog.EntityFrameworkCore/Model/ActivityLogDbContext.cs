using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>
/// A context holding only the activity log tables (the events, the quarantine and, for delivery packages, the outbox), for apps without an EF Core model of their own. Registered by
/// <see cref="Microsoft.Extensions.DependencyInjection.ActivityLogEntityFrameworkBuilderExtensions.AddEntityFrameworkStore(ActivityLogBuilder, Action{DbContextOptionsBuilder}, Action{ActivityLogStoreOptions}?)"/>.
/// </summary>
/// <param name="options">The context options (provider and connection).</param>
public class ActivityLogDbContext(DbContextOptions<ActivityLogDbContext> options) : DbContext(options)
{
    /// <summary>The activity log.</summary>
    public DbSet<StoredActivityLogEvent> ActivityEvents => Set<StoredActivityLogEvent>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog();
}

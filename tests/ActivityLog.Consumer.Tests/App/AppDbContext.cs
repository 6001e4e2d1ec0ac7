using Microsoft.EntityFrameworkCore;

/// <summary>The app's own model; the activity log is one more table in it.</summary>
public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddActivityLog();
    }
}

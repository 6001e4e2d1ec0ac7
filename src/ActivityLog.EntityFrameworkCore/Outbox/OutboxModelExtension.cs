using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>
/// Tells <c>modelBuilder.AddActivityLog()</c> to map the outbox tables: added to the host context's options by
/// <c>AddEntityFrameworkStore</c> when a delivery package is configured (see <see cref="OutboxRegistration"/>).
/// </summary>
/// <remarks>
/// <c>OnModelCreating</c> has no DI, so the decision travels the way EF Core passes options into model building: this
/// extension adds a convention to the context's internal service provider, and the convention marks the model when it
/// is initialized, before <c>OnModelCreating</c> runs. EF Core keys its internal service providers, and so their model
/// caches, on the options extensions: a context type configured with deliveries in one host and without in another gets
/// two models, never the other's cached one.
/// </remarks>
internal sealed class OutboxModelExtension : IDbContextOptionsExtension
{
    private ExtensionInfo? _info;

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services) =>
        new EntityFrameworkServicesBuilder(services).TryAdd<IConventionSetPlugin, OutboxModelConventionPlugin>();

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(IDbContextOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => "ActivityLogOutbox ";

        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) => debugInfo["ActivityLog:Outbox"] = "1";
    }
}

/// <summary>Adds <see cref="OutboxModelConvention"/> to the context's conventions.</summary>
internal sealed class OutboxModelConventionPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        var convention = new OutboxModelConvention();
        conventionSet.ModelInitializedConventions.Add(convention);
        conventionSet.ModelFinalizingConventions.Add(convention);
        return conventionSet;
    }
}

/// <summary>
/// Marks a model being built for a context whose host configured deliveries (<see cref="Annotation"/>), which
/// <c>AddActivityLog()</c> reads, and removes the mark before the model is finalized so that it never reaches a
/// migration's model snapshot.
/// </summary>
internal sealed class OutboxModelConvention : IModelInitializedConvention, IModelFinalizingConvention
{
    /// <summary>The model annotation that asks for the outbox tables while the model is built.</summary>
    public const string Annotation = "ActivityLog:DeliveriesConfigured";

    public void ProcessModelInitialized(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context) =>
        modelBuilder.HasAnnotation(Annotation, true);

    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context) =>
        modelBuilder.HasNoAnnotation(Annotation);
}

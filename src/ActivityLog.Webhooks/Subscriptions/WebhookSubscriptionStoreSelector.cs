using ActivityLog.Extensibility;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Subscriptions;

/// <summary>
/// Chooses the one subscription store that the manager and the delivery engine share: the last registered store that
/// is not the core's in-memory one (the EF Core store), else an in-memory store (the registered one, or one created
/// here, once per container). A singleton, so both sides always see the same instance.
/// </summary>
internal sealed class WebhookSubscriptionStoreSelector(IServiceProvider services)
{
    private readonly Lazy<IActivitySubscriptionStore> _store = new(() => Select(services), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The store.</summary>
    public IActivitySubscriptionStore Store => _store.Value;

    /// <summary>Whether subscriptions live in memory only (lost on restart, not shared between processes).</summary>
    public bool IsInMemory => Store is InMemoryActivitySubscriptionStore;

    private static IActivitySubscriptionStore Select(IServiceProvider services)
    {
        var registered = services.GetServices<IActivitySubscriptionStore>().ToList();
        return registered.LastOrDefault(s => s is not InMemoryActivitySubscriptionStore)
            ?? registered.LastOrDefault()
            ?? new InMemoryActivitySubscriptionStore();
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>
/// A host context for one unit of work, taken from a fresh DI scope: the scoped <typeparamref name="TContext"/> when the
/// host registered one (<c>AddDbContext</c>, <c>AddDbContextFactory</c>), otherwise a context from its
/// <see cref="IDbContextFactory{TContext}"/> (<c>AddPooledDbContextFactory</c>). A scope of our own makes the reader and
/// the retention usable from singletons and from request scopes alike, and never shares the host's request context.
/// </summary>
/// <typeparam name="TContext">The host's context.</typeparam>
internal readonly struct ActivityLogContextLease<TContext> : IAsyncDisposable
    where TContext : DbContext
{
    private readonly AsyncServiceScope _scope;
    private readonly bool _ownsContext;

    private ActivityLogContextLease(AsyncServiceScope scope, TContext context, bool ownsContext)
    {
        _scope = scope;
        Context = context;
        _ownsContext = ownsContext;
    }

    public TContext Context { get; }

    /// <summary>The lease's DI scope, for the reader's own singletons (its declaration stays free of them).</summary>
    public IServiceProvider Services => _scope.ServiceProvider;

    /// <exception cref="InvalidOperationException">Neither the context nor a factory for it is registered.</exception>
    public static ActivityLogContextLease<TContext> Open(IServiceScopeFactory scopes)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            if (scope.ServiceProvider.GetService<TContext>() is { } scoped)
            {
                return new ActivityLogContextLease<TContext>(scope, scoped, ownsContext: false);
            }

            if (scope.ServiceProvider.GetService<IDbContextFactory<TContext>>() is { } factory)
            {
                return new ActivityLogContextLease<TContext>(scope, factory.CreateDbContext(), ownsContext: true);
            }
        }
        catch
        {
            scope.Dispose();
            throw;
        }

        scope.Dispose();
        throw new InvalidOperationException(
            $"The ActivityLog store cannot get a {typeof(TContext).Name}: register it with AddDbContext<{typeof(TContext).Name}>() or AddDbContextFactory<{typeof(TContext).Name}>().");
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsContext)
        {
            await Context.DisposeAsync().ConfigureAwait(false);
        }

        await _scope.DisposeAsync().ConfigureAwait(false);
    }
}

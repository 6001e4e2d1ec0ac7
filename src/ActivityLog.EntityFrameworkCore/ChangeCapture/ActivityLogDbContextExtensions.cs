using ActivityLog.EntityFrameworkCore;
using ActivityLog.EntityFrameworkCore.ChangeCapture;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Transactional recording on a <see cref="DbContext"/>, and the interceptor behind it and behind change capture.</summary>
public static class ActivityLogDbContextExtensions
{
    /// <summary>
    /// Opens a unit of work: until it is disposed, activities recorded on this async flow are stored by the context's
    /// next successful <c>SaveChanges</c>, in the same transaction as the business change, instead of being queued.
    /// </summary>
    /// <remarks>
    /// See <see cref="ActivityUnitOfWork"/> for what happens to events on rollback, on a failed save and when no save
    /// comes. Events stored this way are written to the database only: sinks of the queued path do not receive them.
    /// A synchronous <c>SaveChanges</c> waits for the gate when the gate is asynchronous.
    /// </remarks>
    /// <example>
    /// <code>
    /// using var activities = db.RecordActivities();
    /// db.Webhooks.Remove(webhook);
    /// recorder.Record("activity_log.webhook.removed", new ActivityResource("webhook", webhook.Id, webhook.Name));
    /// await db.SaveChangesAsync();   // the webhook row and the event commit together, or neither does
    /// </code>
    /// </example>
    /// <param name="context">The context whose <c>SaveChanges</c> stores the events; its model maps the activity log table.</param>
    /// <returns>The unit of work; dispose it (a <c>using</c> declaration) on the flow that opened it.</returns>
    /// <exception cref="InvalidOperationException">The context has no ActivityLog interceptor.</exception>
    public static ActivityUnitOfWork RecordActivities(this DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var interceptor = FindInterceptor(context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()) ??
            throw new InvalidOperationException(
                $"{context.GetType().Name} has no ActivityLog interceptor: register it with services.AddActivityLog().AddEntityFrameworkStore<{context.GetType().Name}>(), or call optionsBuilder.UseActivityLog(serviceProvider) where the context is configured.");
        return interceptor.BeginUnitOfWork(context);
    }

    /// <summary>
    /// Adds the ActivityLog interceptor (transactional recording and automatic change capture) to a context configured
    /// outside <c>AddEntityFrameworkStore&lt;TContext&gt;()</c>, for example a context created with <c>new</c>. Adding it
    /// twice adds it once. <c>AddEntityFrameworkStore&lt;TContext&gt;()</c> already adds it to <c>TContext</c>.
    /// </summary>
    /// <param name="optionsBuilder">The context's options builder.</param>
    /// <param name="services">The application's services, where <c>AddActivityLog().AddEntityFrameworkStore…()</c> ran.</param>
    /// <returns>The options builder.</returns>
    /// <exception cref="InvalidOperationException">ActivityLog's EF Core store is not registered in <paramref name="services"/>.</exception>
    public static DbContextOptionsBuilder UseActivityLog(this DbContextOptionsBuilder optionsBuilder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(services);
        var interceptor = services.GetService<ActivityLogSaveChangesInterceptor>() ?? throw new InvalidOperationException(
            "ActivityLog's EF Core store is not registered: call services.AddActivityLog().AddEntityFrameworkStore<TContext>() first.");
        AddInterceptorOnce(optionsBuilder, interceptor);
        return optionsBuilder;
    }

    /// <summary>
    /// Adds the ActivityLog interceptor to a context configured outside <c>AddEntityFrameworkStore&lt;TContext&gt;()</c>;
    /// see <see cref="UseActivityLog(DbContextOptionsBuilder, IServiceProvider)"/>.
    /// </summary>
    /// <typeparam name="TContext">The context type.</typeparam>
    /// <param name="optionsBuilder">The context's options builder.</param>
    /// <param name="services">The application's services, where <c>AddActivityLog().AddEntityFrameworkStore…()</c> ran.</param>
    /// <returns>The options builder.</returns>
    /// <exception cref="InvalidOperationException">ActivityLog's EF Core store is not registered in <paramref name="services"/>.</exception>
    public static DbContextOptionsBuilder<TContext> UseActivityLog<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder, IServiceProvider services)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseActivityLog((DbContextOptionsBuilder)optionsBuilder, services);

    internal static void AddInterceptorOnce(DbContextOptionsBuilder optionsBuilder, ActivityLogSaveChangesInterceptor interceptor)
    {
        if (FindInterceptor(optionsBuilder.Options.FindExtension<CoreOptionsExtension>()) is null)
        {
            optionsBuilder.AddInterceptors(interceptor);
        }
    }

    private static ActivityLogSaveChangesInterceptor? FindInterceptor(CoreOptionsExtension? options)
    {
        if (options?.Interceptors is { } interceptors)
        {
            foreach (var interceptor in interceptors)
            {
                if (interceptor is ActivityLogSaveChangesInterceptor ours)
                {
                    return ours;
                }
            }
        }

        return null;
    }
}

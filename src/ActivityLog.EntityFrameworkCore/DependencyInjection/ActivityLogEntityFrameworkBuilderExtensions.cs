using ActivityLog.Extensibility;
using ActivityLog;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.EntityFrameworkCore.ChangeCapture;
using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Quarantine;
using ActivityLog.EntityFrameworkCore.Reading;
using ActivityLog.EntityFrameworkCore.Schema;
using ActivityLog.EntityFrameworkCore.Storage;
using ActivityLog.EntityFrameworkCore.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the EF Core store into <c>services.AddActivityLog()</c>.</summary>
public static class ActivityLogEntityFrameworkBuilderExtensions
{
    /// <summary>
    /// Stores the activity log in the host's own <typeparamref name="TContext"/> (registered with <c>AddDbContext</c>
    /// or <c>AddDbContextFactory</c>, whose model calls <see cref="ActivityLogModelBuilderExtensions.AddActivityLog"/>):
    /// a batched, idempotent sink on the queued path, transactional recording and automatic change capture in the
    /// context's own <c>SaveChanges</c>, an <see cref="IActivityLogReader"/> for the Activity Log page, retention, and an
    /// <see cref="IActivityOutbox"/> that delivery packages (webhooks) send from durably: every write path stores
    /// an outbox delivery per accepting <see cref="IActivityOutboxSubscriber"/> and per destination an
    /// <see cref="IActivityOutboxRouter"/> names, in the same transaction as the event. It keeps the accounts' delivery
    /// subscriptions and their attempt history in the context too (an <see cref="IActivitySubscriptionStore"/>, which a
    /// delivery package uses instead of its in-memory default).
    /// It also replaces the core's in-memory <see cref="IActivityQuarantine"/> with the context's quarantine table, so
    /// events a sink rejected for good survive restarts (a quarantine the host registered itself is kept).
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddDbContext&lt;AppDbContext&gt;(o => o.UseSqlite("Data Source=app.db"));
    /// services.AddActivityLog().AddEntityFrameworkStore&lt;AppDbContext&gt;(o => o.RetentionPeriod = TimeSpan.FromDays(365));
    /// </code>
    /// </example>
    /// <typeparam name="TContext">The host's context.</typeparam>
    /// <param name="builder">The ActivityLog builder.</param>
    /// <param name="configure">Store options.</param>
    /// <returns>The builder.</returns>
    public static ActivityLogBuilder AddEntityFrameworkStore<TContext>(this ActivityLogBuilder builder, Action<ActivityLogStoreOptions>? configure = null)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        // The store's services log through ILogger<T>; EF Core already brings Microsoft.Extensions.Logging, so
        // registering it here (idempotent) costs no dependency, while the core stays on the abstractions.
        builder.Services.AddLogging();
        var options = builder.Services.AddOptions<ActivityLogStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        SchemaRegistration.Add<TContext>(builder);
        StoreRegistration.Add<TContext>(builder);
        ChangeCaptureRegistration.Add<TContext>(builder);
        ReaderRegistration.Add<TContext>(builder);
        OutboxRegistration.Add<TContext>(builder);
        QuarantineRegistration.Add<TContext>(builder);
        SubscriptionRegistration.Add<TContext>(builder);
        return builder;
    }

    /// <summary>
    /// Stores the activity log in the host's own <typeparamref name="TContext"/>, as
    /// <see cref="AddEntityFrameworkStore{TContext}(ActivityLogBuilder, Action{ActivityLogStoreOptions}?)"/> does, with the
    /// store options bound from a configuration section (conventionally <see cref="ActivityLogStoreOptions.SectionName"/>),
    /// then adjusted by <paramref name="configure"/>. Binding is source-generated (no reflection).
    /// </summary>
    /// <example>
    /// <code>
    /// // appsettings.json: { "ActivityLog": { "Store": { "MaxPageSize": 200, "RetentionPeriod": "365.00:00:00" } } }
    /// services.AddActivityLog(configuration.GetSection("ActivityLog"))
    ///     .AddEntityFrameworkStore&lt;AppDbContext&gt;(configuration.GetSection(ActivityLogStoreOptions.SectionName));
    /// </code>
    /// </example>
    /// <typeparam name="TContext">The host's context.</typeparam>
    /// <param name="builder">The ActivityLog builder.</param>
    /// <param name="configuration">The section holding <see cref="ActivityLogStoreOptions"/>.</param>
    /// <param name="configure">Adjusts the options in code after binding, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static ActivityLogBuilder AddEntityFrameworkStore<TContext>(
        this ActivityLogBuilder builder, IConfiguration configuration, Action<ActivityLogStoreOptions>? configure = null)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<ActivityLogStoreOptions>().Bind(configuration);
        return builder.AddEntityFrameworkStore<TContext>(configure);
    }

    /// <summary>
    /// Stores the activity log through the standalone <see cref="ActivityLogDbContext"/>, for apps without an EF Core
    /// model of their own.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddActivityLog().AddEntityFrameworkStore(db => db.UseSqlite("Data Source=activity.db"), o => o.CreateSchemaOnStart = true);
    /// </code>
    /// </example>
    /// <param name="builder">The ActivityLog builder.</param>
    /// <param name="configureDatabase">Chooses the provider and connection.</param>
    /// <param name="configure">Store options.</param>
    /// <returns>The builder.</returns>
    public static ActivityLogBuilder AddEntityFrameworkStore(
        this ActivityLogBuilder builder,
        Action<DbContextOptionsBuilder> configureDatabase,
        Action<ActivityLogStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configureDatabase);
        // Pooled: the sink and the reader take a context per batch and per page, and a pooled one is reset, not rebuilt.
        builder.Services.AddDbContextPool<ActivityLogDbContext>(configureDatabase);
        return builder.AddEntityFrameworkStore<ActivityLogDbContext>(configure);
    }
}

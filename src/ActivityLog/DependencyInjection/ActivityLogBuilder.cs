using System.Diagnostics.CodeAnalysis;
using ActivityLog.Extensibility;
using ActivityLog.Formatting;
using ActivityLog.Redaction;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActivityLog;

/// <summary>
/// Returned by <c>services.AddActivityLog()</c>: sinks, the gate, redaction rules and description templates hang off
/// it. Sink packages add their own extension methods here (<c>AddEntityFrameworkStore</c>, <c>AddWebhooks</c>).
/// </summary>
public sealed class ActivityLogBuilder
{
    internal ActivityLogBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection, for extension methods of sink packages.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a sink resolved from the container (a singleton). Adding the same type twice adds it once.</summary>
    /// <typeparam name="TSink">The sink type.</typeparam>
    /// <returns>This builder.</returns>
    public ActivityLogBuilder AddSink<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSink>()
        where TSink : class, IActivitySink
    {
        Services.TryAddSingleton<TSink>();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivitySink, SinkRegistration<TSink>>());
        return this;
    }

    /// <summary>Adds a sink instance. Adding the same instance twice adds it once.</summary>
    /// <param name="sink">The sink.</param>
    /// <returns>This builder.</returns>
    public ActivityLogBuilder AddSink(IActivitySink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (!Services.Any(d => d.ServiceType == typeof(IActivitySink) && ReferenceEquals(d.ImplementationInstance, sink)))
        {
            Services.AddSingleton(sink);
        }

        return this;
    }

    /// <summary>Replaces the per-account gate (by default every account records).</summary>
    /// <typeparam name="TGate">The gate type, resolved as a singleton.</typeparam>
    /// <returns>This builder.</returns>
    public ActivityLogBuilder UseGate<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TGate>()
        where TGate : class, IActivityLogGate
    {
        Services.Replace(ServiceDescriptor.Singleton<IActivityLogGate, TGate>());
        return this;
    }

    /// <summary>Replaces the per-account gate with a delegate, for example a lookup of the account's plan.</summary>
    /// <param name="isEnabled">Returns whether an account records.</param>
    /// <returns>This builder.</returns>
    public ActivityLogBuilder UseGate(Func<string?, CancellationToken, ValueTask<bool>> isEnabled)
    {
        Services.Replace(ServiceDescriptor.Singleton(ActivityLogGates.FromDelegate(isEnabled)));
        return this;
    }

    /// <summary>Adjusts the options in code (after configuration binding).</summary>
    /// <param name="configure">The adjustment.</param>
    /// <returns>This builder.</returns>
    public ActivityLogBuilder Configure(Action<ActivityLogOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>Adds redaction rules.</summary>
    /// <param name="configure">Adds filters, patterns, rewriters or resource-type rules.</param>
    /// <returns>This builder.</returns>
    public ActivityLogBuilder ConfigureRedaction(Action<ActivityRedactionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Configure(options => configure(options.Redaction));
    }

    /// <summary>Adds description templates.</summary>
    /// <param name="configure">Adds templates, per culture if needed.</param>
    /// <returns>This builder.</returns>
    public ActivityLogBuilder ConfigureDescriptions(Action<ActivityDescriptionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Configure(options => configure(options.Descriptions));
    }

    /// <summary>Adds or replaces one description template.</summary>
    /// <param name="eventName">The event name, or a pattern such as <c>activity_log.user.*</c> (see <see cref="ActivityDescriptionOptions"/>).</param>
    /// <param name="template">The template, such as <c>removed the webhook {resource.name} from {related.name}</c>.</param>
    /// <param name="culture">The culture, or <see langword="null"/> for the default templates.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The event name or pattern, or the template, is malformed (checked now, not at first use).</exception>
    public ActivityLogBuilder AddDescription(string eventName, string template, string? culture = null)
    {
        _ = new ActivityDescriptionOptions().AddTemplate(eventName, template, culture);
        return ConfigureDescriptions(options => options.AddTemplate(eventName, template, culture));
    }

    /// <summary>Lets one sink type be registered once even when its package's extension runs twice.</summary>
    private sealed class SinkRegistration<TSink>(TSink sink) : IActivitySink, INamedSink, IConditionalSink
        where TSink : class, IActivitySink
    {
        public bool IsNeeded => IConditionalSink.Needed(sink);

        // Generic sinks (EntityFrameworkActivitySink`1) are named without the arity in metrics and logs.
        public string Name { get; } = typeof(TSink).Name.Split('`')[0];

        public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken) =>
            sink.WriteBatchAsync(batch, cancellationToken);
    }
}

/// <summary>A sink wrapper that reports the name of the sink it wraps (for metrics and logs).</summary>
internal interface INamedSink
{
    string Name { get; }
}

/// <summary>
/// A sink that knows only once the app is built whether it has work (the in-memory outbox's sink beside a store that
/// owns the outbox): the dispatcher asks when it starts and runs no worker for a sink that is not needed, so that no
/// count says it wrote anything.
/// </summary>
internal interface IConditionalSink
{
    bool IsNeeded { get; }

    /// <summary>Whether <paramref name="sink"/> has work: every sink does, unless it says otherwise.</summary>
    static bool Needed(IActivitySink sink) => sink is not IConditionalSink conditional || conditional.IsNeeded;
}

using ActivityLog;
using ActivityLog.Extensibility;
using ActivityLog.Formatting;
using ActivityLog.Internal;
using ActivityLog.Pipeline;
using ActivityLog.Quarantine;
using ActivityLog.Recording;
using ActivityLog.Redaction;
using ActivityLog.Values;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ActivityLog in a service collection.</summary>
public static class ActivityLogServiceCollectionExtensions
{
    /// <summary>
    /// Adds the recorder, the pipeline and its background dispatcher (an <see cref="IHostedService"/>). Safe to call
    /// more than once: services are added once, and every <paramref name="configure"/> runs.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Adjusts the options in code, or <see langword="null"/>.</param>
    /// <returns>The builder that sinks hang off.</returns>
    public static ActivityLogBuilder AddActivityLog(this IServiceCollection services, Action<ActivityLogOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCore(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return new ActivityLogBuilder(services);
    }

    /// <summary>
    /// Adds ActivityLog with options bound from a configuration section (for example <c>configuration.GetSection("ActivityLog")</c>),
    /// then adjusted by <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section holding <see cref="ActivityLogOptions"/>.</param>
    /// <param name="configure">Adjusts the options in code after binding, or <see langword="null"/>.</param>
    /// <returns>The builder that sinks hang off.</returns>
    public static ActivityLogBuilder AddActivityLog(this IServiceCollection services, IConfiguration configuration, Action<ActivityLogOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services);
        services.Configure<ActivityLogOptions>(configuration);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return new ActivityLogBuilder(services);
    }

    private static void AddCore(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ActivityQueue)))
        {
            return;
        }

        // Only abstractions here (Microsoft.Extensions.Logging.Abstractions, IMeterFactory): the host brings logging
        // and metrics (every Host/WebApplication builder registers both); without them, nothing is logged and the
        // instruments live on a meter of their own (still visible to a MeterListener).
        services.AddOptions<ActivityLogOptions>().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        // The attributes (source-generated, failures named by configuration path), then the cross-field rules.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityLogOptions>>(
            new ConfigurationPathValidator<ActivityLogOptions>(new ActivityLogOptionsValidator(), ActivityLogOptions.SectionName)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityLogOptions>, ActivityLogRulesValidator>());

        services.TryAddSingleton(sp => new ActivityQueue(
            sp.GetRequiredService<IOptions<ActivityLogOptions>>(), sp.GetRequiredService<TimeProvider>(), LoggerFor<ActivityQueue>(sp)));
        services.TryAddSingleton<IActivityRecorder, ActivityRecorder>();
        services.TryAddSingleton(ActivityLogGates.AllowAll);
        services.TryAddSingleton<ActivityOutboxSignal>();
        services.TryAddSingleton(sp => new SensitiveFieldRedactor(sp.GetRequiredService<IOptions<ActivityLogOptions>>().Value.Redaction));
        services.TryAddSingleton(sp => new ActivityDescriptionFormatter(sp.GetRequiredService<IOptions<ActivityLogOptions>>().Value.Descriptions));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ActivityLogOptions>>().Value;
            var maskedWhole = new MaskedWholeValues(
                LoggerFactoryOf(sp).CreateLogger("ActivityLog.Redaction"), sp.GetRequiredService<ActivityLogMetrics>());
            return new ActivityValueNormalizer(
                sp.GetRequiredService<SensitiveFieldRedactor>().Mask, options.Limits, new Dictionary<Type, PlainObjectShape>(options.Redaction.PlainObjects), maskedWhole);
        });
        // Registered by type: a store recognises the core's default by its implementation type and replaces it. Its
        // logger is optional (a missing ILogger<T> registration leaves the default null: nothing is logged).
        services.TryAddSingleton<IActivityQuarantine, InMemoryActivityQuarantine>();
        services.TryAddSingleton<ActivityIdGenerator>();
        services.TryAddSingleton(sp => new ActivityLogMetrics(
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
            () => sp.GetRequiredService<ActivityQueue>().Count));
        services.TryAddSingleton<IActivityLogEventProcessor>(sp =>
            ActivatorUtilities.CreateInstance<ActivityLogEventProcessor>(sp, LoggerFor<ActivityLogEventProcessor>(sp)));
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<ActivityDispatcher>(sp, LoggerFor<ActivityDispatcher>(sp)));
        services.TryAddSingleton<IActivityDispatcher>(sp => sp.GetRequiredService<ActivityDispatcher>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ActivityDispatcherHostedService>());
    }

    /// <summary>The host's logger factory, or one that logs nothing when the host has no logging.</summary>
    private static ILoggerFactory LoggerFactoryOf(IServiceProvider services) =>
        services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;

    /// <summary>The host's logger for <typeparamref name="T"/>, or one that logs nothing when the host has no logging.</summary>
    private static ILogger<T> LoggerFor<T>(IServiceProvider services) => LoggerFactoryOf(services).CreateLogger<T>();

    /// <summary>Hosts the dispatcher; a separate type so that the dispatcher itself stays one singleton.</summary>
    private sealed class ActivityDispatcherHostedService(ActivityDispatcher dispatcher) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => dispatcher.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => dispatcher.StopAsync(cancellationToken);
    }
}

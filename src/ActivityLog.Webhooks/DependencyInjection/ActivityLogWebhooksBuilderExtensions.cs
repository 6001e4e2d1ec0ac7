using System.Net;
using ActivityLog;
using ActivityLog.Extensibility;
using ActivityLog.Health;
using ActivityLog.Webhooks;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Subscriptions;
using ActivityLog.Delivery;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the webhook emitter into <c>services.AddActivityLog()</c>.</summary>
public static class ActivityLogWebhooksBuilderExtensions
{
    /// <summary>
    /// Delivers activities to webhook endpoints: options bound from the configuration section <c>ActivityLog:Webhooks</c>
    /// of the registered <see cref="IConfiguration"/> (when there is one), then adjusted by <paramref name="configure"/>,
    /// validated at start. With a store that provides an <see cref="IActivityOutbox"/> (the EF Core store), deliveries
    /// are durable and leave from its outbox; without one, from a bounded in-memory queue. Safe to call more than once.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddActivityLog().AddWebhooks(webhooks => webhooks.Endpoints["siem"] = new WebhookEndpointOptions
    /// {
    ///     Url = new Uri("https://siem.example.com/hooks/activity"),
    ///     Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    /// });
    /// </code>
    /// </example>
    /// <param name="builder">The ActivityLog builder.</param>
    /// <param name="configure">Adjusts the options in code after configuration binding, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static ActivityLogBuilder AddWebhooks(this ActivityLogBuilder builder, Action<ActivityWebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return Add(builder, configuration: null, configure);
    }

    /// <summary>
    /// Like <see cref="AddWebhooks(ActivityLogBuilder, Action{ActivityWebhookOptions}?)"/>, binding the options from the
    /// given section (for example <c>configuration.GetSection("ActivityLog:Webhooks")</c>) instead of the registered
    /// configuration.
    /// </summary>
    /// <param name="builder">The ActivityLog builder.</param>
    /// <param name="configuration">The section holding <see cref="ActivityWebhookOptions"/>.</param>
    /// <param name="configure">Adjusts the options in code after binding, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static ActivityLogBuilder AddWebhooks(this ActivityLogBuilder builder, IConfiguration configuration, Action<ActivityWebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(builder, configuration, configure);
    }

    private static ActivityLogBuilder Add(ActivityLogBuilder builder, IConfiguration? configuration, Action<ActivityWebhookOptions>? configure)
    {
        var services = builder.Services;
        bool first = !services.Any(d => d.ServiceType == typeof(WebhookDeliveryService));
        var options = services.AddOptions<ActivityWebhookOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration);
        }
        else if (first)
        {
            services.AddSingleton<IConfigureOptions<ActivityWebhookOptions>, BindFromRegisteredConfiguration>();
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (first)
        {
            options.ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityWebhookOptions>, ActivityWebhookOptionsValidator>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityWebhookOptions>>(
                new ConfigurationPathValidator<ActivityWebhookOptions>(new ActivityWebhookOptionsAttributesValidator(), ActivityWebhookOptions.SectionName)));
            // Tells a store that deliveries are configured (it maps its outbox and subscription tables), endpoints or not.
            services.TryAddSingleton<ActivityDeliveryMarker>();
            services.AddMetrics();
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton<WebhookMetrics>();
            AddDelivery(builder);
            services.AddSingleton<IHostedService, WebhookHostedService>();
            AddHttpClients(services);
        }

        return builder;
    }

    /// <summary>The one outbox, the router, the engine and its faces.</summary>
    private static void AddDelivery(ActivityLogBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(sp => new ActivityOutboxSelector(
            sp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value.InMemoryCapacity));
        builder.AddSink<InMemoryOutboxSink>();
        // The manager of Settings → Webhooks, the store selector shared with the engine, the secret protector.
        WebhookSubscriptionServices.Add(services);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value;
            var endpoints = options.Endpoints
                .Where(e => e.Value.Enabled)
                .Select(e => WebhookTarget.ForEndpoint(e.Key, e.Value, options.LeaseDuration));
            return new WebhookTargets(
                endpoints, () => SubscriptionStore(sp), sp.GetRequiredService<WebhookSecretProtector>(), options,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WebhookTargets>>());
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityOutboxRouter, WebhookTargets>(sp => sp.GetRequiredService<WebhookTargets>()));
        services.TryAddSingleton(sp => new WebhookFailureRules(
            sp.GetRequiredService<WebhookTargets>(), () => SubscriptionStore(sp), sp.GetRequiredService<IActivityRecorder>(),
            sp.GetServices<IWebhookSubscriptionNotifications>(), sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WebhookFailureRules>>()));
        services.TryAddSingleton<WebhookDeliveryService>();
        services.TryAddSingleton<IActivityWebhooks>(sp => sp.GetRequiredService<WebhookDeliveryService>());
        services.TryAddSingleton<IWebhookDeliveryControl>(sp => sp.GetRequiredService<WebhookDeliveryService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityOutboxDropHandler, WebhookDeliveryService>(sp => sp.GetRequiredService<WebhookDeliveryService>()));
        // The health check reads the delivery backlog through it (its outbox may be in memory, not in the container).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityOutboxHealthSource, WebhookDeliveryService>(sp => sp.GetRequiredService<WebhookDeliveryService>()));
    }

    private static IActivitySubscriptionStore SubscriptionStore(IServiceProvider services) =>
        services.GetRequiredService<WebhookSubscriptionStoreSelector>().Store;

    private static void AddHttpClients(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new NetworkGuard(sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value));
        AddHttpClient(services, WebhookDelivery.EndpointClient, sp => sp.GetRequiredService<NetworkGuard>());
        // One client and one connection pool for every subscription (SocketsHttpHandler pools per origin inside it).
        AddHttpClient(services, WebhookDelivery.SubscriptionClient, sp => NetworkGuard.ForSubscriptions(sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value));
    }

    private static void AddHttpClient(IServiceCollection services, string name, Func<IServiceProvider, NetworkGuard> guard)
    {
        var http = services.AddHttpClient(name)
            // The framework's HTTP logging writes the request URL (path included) at Information, and a webhook URL's
            // path or query is often its credential (Slack-style hooks): no logging handlers on this client.
            .RemoveAllLoggers()
            // The attempt timeout comes from the resilience handler below; HttpClient's own 100-second default would fight it.
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var proxy = sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value.Proxy;
                return new SocketsHttpHandler
                {
                    // Redirects could lead a signed payload to a target the URL checks never saw.
                    AllowAutoRedirect = false,
                    ConnectCallback = guard(sp).ConnectAsync,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    UseCookies = false,
                    // An ambient proxy (HTTP_PROXY…) would make the connect-time check see only the proxy: only an explicit one.
                    UseProxy = proxy is not null,
                    Proxy = proxy is null ? null : new WebProxy(proxy),
                };
            });
        http.AddResilienceHandler("activitylog-webhooks", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value;
            // A timeout only, deliberately no retry strategy: the retry schedule is ours (hours long and kept in the
            // outbox, so it survives restarts); an HTTP-level retry would multiply every attempt.
            pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = options.RequestTimeout });
        });
        // Added after the resilience handler, so inside its timeout: the excerpt of an error body is read under the
        // attempt's one deadline too (a receiver that sends headers and stalls the body cannot hold the target).
        http.AddHttpMessageHandler(sp => new ResponseExcerptHandler(sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value.MaxResponseBodyBytes));
    }

    /// <summary>Binds <c>ActivityLog:Webhooks</c> from the <see cref="IConfiguration"/> in the container, if any.</summary>
    private sealed class BindFromRegisteredConfiguration(IServiceProvider services) : IConfigureOptions<ActivityWebhookOptions>
    {
        public void Configure(ActivityWebhookOptions options)
        {
            if (services.GetService<IConfiguration>() is { } configuration)
            {
                configuration.GetSection(ActivityWebhookOptions.SectionName).Bind(options);
            }
        }
    }

    /// <summary>Hosts the delivery service; a separate type so that the service stays one singleton.</summary>
    private sealed class WebhookHostedService(WebhookDeliveryService service) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => service.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => service.StopAsync(cancellationToken);
    }
}

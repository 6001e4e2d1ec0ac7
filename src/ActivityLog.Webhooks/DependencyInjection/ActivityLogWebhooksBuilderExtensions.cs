using System.Net;
using ActivityLog;
using ActivityLog.Extensibility;
using ActivityLog.Health;
using ActivityLog.Webhooks;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Internal;
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
            // Tells a store that deliveries are configured (it maps its outbox tables), endpoints or not.
            services.TryAddSingleton<ActivityDeliveryMarker>();
            services.AddMetrics();
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton<WebhookMetrics>();
            services.TryAddSingleton<WebhookDeliveryService>();
            services.TryAddSingleton<IActivityWebhooks>(sp => sp.GetRequiredService<WebhookDeliveryService>());
            // The health check reads the delivery backlog through it (its outbox may be in memory, not in the container).
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityOutboxHealthSource, WebhookDeliveryService>(sp => sp.GetRequiredService<WebhookDeliveryService>()));
            services.AddSingleton<IHostedService, WebhookHostedService>();
            services.TryAddSingleton(sp => new NetworkGuard(sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value));
            AddHttpClient(services);
            builder.AddSink<WebhookActivitySink>();
        }

        // A store writes outbox deliveries for registered subscribers only, and the container is fixed before the
        // options are bound: name every endpoint now from what can be seen (code, the given or a registered
        // configuration instance). The service fails the start, with this advice, if an endpoint was missed.
        foreach (string endpoint in KnownEndpointNames(services, configuration, configure))
        {
            if (!services.Any(d => d.ServiceType == typeof(IActivityOutboxSubscriber) && d.ImplementationFactory?.Target is SubscriberFactory f && f.Endpoint == endpoint))
            {
                services.AddSingleton<IActivityOutboxSubscriber>(new SubscriberFactory(endpoint).Create);
            }
        }

        return builder;
    }

    private static void AddHttpClient(IServiceCollection services)
    {
        var http = services.AddHttpClient(ActivityWebhookOptions.HttpClientName)
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
                    ConnectCallback = sp.GetRequiredService<NetworkGuard>().ConnectAsync,
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
        // attempt's one deadline too (a receiver that sends headers and stalls the body cannot hold the endpoint).
        http.AddHttpMessageHandler(sp => new ResponseExcerptHandler(sp.GetRequiredService<IOptions<ActivityWebhookOptions>>().Value.MaxResponseBodyBytes));
    }

    private static HashSet<string> KnownEndpointNames(IServiceCollection services, IConfiguration? configuration, Action<ActivityWebhookOptions>? configure)
    {
        var probe = new ActivityWebhookOptions();
        var registered = RegisteredConfiguration(services);
        var section = configuration ?? registered?.GetSection(ActivityWebhookOptions.SectionName);
        if (section is not null)
        {
            section.Bind(probe);
        }

        try
        {
            configure?.Invoke(probe);
        }
#pragma warning disable CA1031 // A probe only: a callback that needs the bound configuration runs for real later.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return [.. probe.Endpoints.Keys];
    }

    /// <summary>
    /// The configuration registered so far, without building the container: an instance, or the factory that
    /// HostApplicationBuilder and WebApplicationBuilder register (<c>_ =&gt; configuration</c>), called with a provider
    /// that has no services. A factory that needs services yields nothing here, and the start check reports what was missed.
    /// </summary>
    private static IConfiguration? RegisteredConfiguration(IServiceCollection services)
    {
        var descriptor = services.LastOrDefault(d => d.ServiceType == typeof(IConfiguration) && !d.IsKeyedService);
        if (descriptor?.ImplementationInstance is IConfiguration instance)
        {
            return instance;
        }

        try
        {
            return descriptor?.ImplementationFactory?.Invoke(NoServices.Instance) as IConfiguration;
        }
#pragma warning disable CA1031 // A factory that needs real services cannot be probed; the start check covers it.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private sealed class NoServices : IServiceProvider
    {
        public static readonly NoServices Instance = new();

        public object? GetService(Type serviceType) => null;
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

    private sealed class SubscriberFactory(string endpoint)
    {
        public string Endpoint => endpoint;

        public WebhookOutboxSubscriber Create(IServiceProvider services) =>
            new WebhookOutboxSubscriber(endpoint, services.GetRequiredService<IOptions<ActivityWebhookOptions>>());
    }

    /// <summary>Hosts the delivery service; a separate type so that the service stays one singleton.</summary>
    private sealed class WebhookHostedService(WebhookDeliveryService service) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => service.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => service.StopAsync(cancellationToken);
    }
}

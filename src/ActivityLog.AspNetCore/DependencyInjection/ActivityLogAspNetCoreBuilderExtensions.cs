using ActivityLog;
using ActivityLog.AspNetCore;
using ActivityLog.AspNetCore.Context;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the ASP.NET Core integration to ActivityLog.</summary>
public static class ActivityLogAspNetCoreBuilderExtensions
{
    /// <summary>
    /// Adds what <c>app.UseActivityLog()</c> and <c>app.MapActivityLog()</c> need: the options that say how the actor,
    /// the account and the context are read from a request (validated when the host starts). Safe to call more than
    /// once: services are added once, and every <paramref name="configure"/> runs. While any account source is set
    /// (<see cref="ActivityLogHttpOptions.AccountClaimType"/>, the default, or a route value, header or resolver) and
    /// <see cref="ActivityLogOptions.MissingAccount"/> is not set, events without an account are dropped and counted
    /// (<see cref="ActivityMissingAccountMode.Drop"/>).
    /// </summary>
    /// <example>
    /// <code>
    /// builder.Services.AddActivityLog()
    ///     .AddEntityFrameworkStore&lt;AppDbContext&gt;()
    ///     .AddAspNetCore(o =&gt; o.AccountClaimType = "tenant");
    /// </code>
    /// </example>
    /// <param name="builder">The ActivityLog builder from <c>services.AddActivityLog()</c>.</param>
    /// <param name="configure">Adjusts the options in code, or <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ActivityLogBuilder AddAspNetCore(this ActivityLogBuilder builder, Action<ActivityLogHttpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddCore(builder.Services);
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Adds the ASP.NET Core integration with options bound from a configuration section (for example
    /// <c>configuration.GetSection(ActivityLogHttpOptions.SectionName)</c>), then adjusted by <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The ActivityLog builder from <c>services.AddActivityLog()</c>.</param>
    /// <param name="configuration">The section holding <see cref="ActivityLogHttpOptions"/>.</param>
    /// <param name="configure">Adjusts the options in code after binding, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static ActivityLogBuilder AddAspNetCore(this ActivityLogBuilder builder, IConfiguration configuration, Action<ActivityLogHttpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(builder.Services);
        builder.Services.Configure<ActivityLogHttpOptions>(configuration);
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        return builder;
    }

    private static void AddCore(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ActivityHttpContextReader)))
        {
            return;
        }

        services.AddOptions<ActivityLogHttpOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityLogHttpOptions>>(
            new ConfigurationPathValidator<ActivityLogHttpOptions>(new ActivityLogHttpOptionsValidator(), ActivityLogHttpOptions.SectionName)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityLogHttpOptions>, ActivityLogHttpOptionsRulesValidator>());
        services.TryAddSingleton<ActivityHttpContextReader>();

        // The page records who looked at the log; these sentences read well unless the host words them its own way.
        services.AddOptions<ActivityLogOptions>().Configure(options =>
        {
            options.Descriptions.Templates.TryAdd(ActivityLog.AspNetCore.Endpoints.ViewRecorder.ViewedEvent, "viewed the activity log");
            options.Descriptions.Templates.TryAdd(ActivityLog.AspNetCore.Endpoints.ViewRecorder.ExportedEvent, "exported the activity log");
        });

        // Told where the account comes from, the host is multi-account: an event without one belongs to no account's
        // log, so unless the host chose otherwise it is dropped, counted and logged, never stored silently.
        services.AddOptions<ActivityLogOptions>().PostConfigure<IOptions<ActivityLogHttpOptions>>((options, http) =>
        {
            var o = http.Value;
            if (options.MissingAccount is null &&
                (o.AccountResolver is not null || o.AccountClaimType is not null || o.AccountRouteValue is not null || o.AccountHeader is not null))
            {
                options.MissingAccount = ActivityMissingAccountMode.Drop;
            }
        });
    }
}

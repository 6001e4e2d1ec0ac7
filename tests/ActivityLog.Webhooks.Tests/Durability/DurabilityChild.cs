using ActivityLog.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Tests.Durability;

/// <summary>
/// The test assembly doubles as the child process of the durability test: <c>dotnet ActivityLog.Webhooks.Tests.dll
/// record|drain sqlite|postgresql &lt;connection string&gt; &lt;receiver url&gt;</c> runs a real host with the EF Core
/// store and the webhooks package; <c>record</c> records 1,000 events (committed every 20) and keeps delivering, <c>drain</c> only delivers. The
/// test kills it with SIGKILL.
/// </summary>
public static class DurabilityChild
{
    public static async Task<int> Main(string[] args)
    {
        if (args is [ProxyTests.AmbientProxyChildMode, string target])
        {
            return await ProxyTests.RunAmbientProxyChildAsync(new Uri(target));
        }

        if (args is [("record-subs" or "drain-subs") and string mode, ("sqlite" or "postgresql") and string store, string connection, string url, string keys])
        {
            return await SubscriptionsDurabilityChild.RunAsync(mode, store, connection, new Uri(url), keys);
        }

        if (args.Length != 4 || args[0] is not ("record" or "drain") || args[1] is not ("sqlite" or "postgresql"))
        {
            await Console.Error.WriteLineAsync("usage: record|drain sqlite|postgresql <connection string> <receiver url>");
            return 2;
        }

        string connectionString = args[2];

        using var host = BuildHost(args[1], connectionString, o =>
        {
            o.AllowLoopback = true;
            o.Endpoints["main"] = new WebhookEndpointOptions
            {
                Url = new Uri(args[3]),
                Secret = Support.WebhookTestHost.Secret,
                MaxBatchEvents = 25,
                MaxBatchDelay = TimeSpan.Zero,
                Fields = ActivityLog.ActivityJsonFields.Id,
            };
        });
        await host.StartAsync();
        await Console.Out.WriteLineAsync("started");
        if (args[0] == "drain")
        {
            await Task.Delay(Timeout.Infinite);
        }

        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();
        for (int i = 0; i < 1000; i++)
        {
            recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", i, "U"), accountId: "acme");
            if (i % 20 == 19)
            {
                await dispatcher.FlushAsync();
            }
        }

        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <summary>
    /// The host every child runs: the EF Core store (schema created on start), the webhooks package with short polls
    /// and leases (a killed process's leases run out in 10 seconds), warnings and ActivityLog's own lines on stderr.
    /// </summary>
    public static IHost BuildHost(string provider, string connectionString, Action<ActivityWebhookOptions> webhooks, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders().AddProvider(new StderrLoggerProvider()).SetMinimumLevel(LogLevel.Debug);
        services?.Invoke(builder.Services);
        builder.Services.AddActivityLog(o => o.BatchDelay = TimeSpan.Zero)
            .AddEntityFrameworkStore(db => Use(db, provider, connectionString), s => s.CreateSchemaOnStart = true)
            .AddWebhooks(o =>
            {
                o.PollInterval = TimeSpan.FromMilliseconds(200);
                o.LeaseDuration = TimeSpan.FromSeconds(10);
                o.RequestTimeout = TimeSpan.FromSeconds(5);
                webhooks(o);
            });
        return builder.Build();
    }

    /// <summary>Points the store at SQLite or PostgreSQL.</summary>
    public static void Use(DbContextOptionsBuilder db, string provider, string connectionString)
    {
        if (provider == "sqlite")
        {
            db.UseSqlite(connectionString);
        }
        else
        {
            db.UseNpgsql(connectionString);
        }
    }
}

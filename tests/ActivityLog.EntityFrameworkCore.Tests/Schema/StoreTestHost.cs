using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.EntityFrameworkCore.Tests.Schema;

/// <summary>
/// A real generic host with ActivityLog and whatever store a test configures, a fake clock and collected logs. Sink
/// retries are off, so a write that fails shows up as a missing row at once instead of waiting out back-off.
/// </summary>
internal sealed class StoreTestHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2024, 12, 9, 10, 11, 24, TimeSpan.Zero);

    private StoreTestHost(IHost host) => Host = host;

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public IActivityRecorder Recorder => Services.GetRequiredService<IActivityRecorder>();

    public IActivityDispatcher Dispatcher => Services.GetRequiredService<IActivityDispatcher>();

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    /// <summary>Builds the host; <paramref name="configure"/> adds the store (and the host's own services).</summary>
    public static StoreTestHost Create(Action<IServiceCollection, ActivityLogBuilder> configure)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddFakeLogging();
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        var activityLog = builder.Services.AddActivityLog(o => o.SinkRetry.MaxRetryAttempts = 0);
        configure(builder.Services, activityLog);
        return new StoreTestHost(builder.Build());
    }

    /// <summary>Builds and starts the host.</summary>
    public static async Task<StoreTestHost> StartAsync(Action<IServiceCollection, ActivityLogBuilder> configure)
    {
        var host = Create(configure);
        try
        {
            await host.Host.StartAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    public async ValueTask DisposeAsync()
    {
        if (Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.IsCancellationRequested)
        {
            await Host.StopAsync();
        }

        Host.Dispose();
    }
}

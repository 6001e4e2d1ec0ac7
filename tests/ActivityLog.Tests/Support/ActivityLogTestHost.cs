using ActivityLog.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Tests.Support;

/// <summary>A real generic host with ActivityLog, a capture sink and a fake clock.</summary>
internal sealed class ActivityLogTestHost : IAsyncDisposable
{
    private ActivityLogTestHost(IHost host, FakeTimeProvider time)
    {
        Host = host;
        Time = time;
    }

    public IHost Host { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => Host.Services;

    public IActivityRecorder Recorder => Services.GetRequiredService<IActivityRecorder>();

    public IActivityDispatcher Dispatcher => Services.GetRequiredService<IActivityDispatcher>();

    public CapturingActivitySink Capture => Services.GetRequiredService<CapturingActivitySink>();

    public static Task<ActivityLogTestHost> StartAsync(Action<ActivityLogBuilder>? configure = null, FakeTimeProvider? time = null) =>
        StartAsync(configure, time, start: true);

    public static async Task<ActivityLogTestHost> StartAsync(Action<ActivityLogBuilder>? configure, FakeTimeProvider? time, bool start, Action<IServiceCollection>? services = null)
    {
        time ??= new FakeTimeProvider(new DateTimeOffset(2024, 12, 9, 10, 11, 24, TimeSpan.Zero));
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        var activityLog = builder.Services.AddActivityLog().AddCapture();
        configure?.Invoke(activityLog);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        if (start)
        {
            await host.StartAsync();
        }

        return new ActivityLogTestHost(host, time);
    }

    /// <summary>Advances the fake clock in steps until the task completes (bounded, so a bug fails instead of hanging).</summary>
    public async Task AdvanceUntilAsync(Task task, TimeSpan step, int maxSteps = 100_000)
    {
        for (int i = 0; i < maxSteps && !task.IsCompleted; i++)
        {
            Time.Advance(step);
            await Task.Yield();
        }

        task.IsCompleted.Should().BeTrue("the awaited work should finish as fake time advances");
        await task;
    }

    public async ValueTask DisposeAsync()
    {
        // A host whose start failed (a test of start-up validation) has nothing to stop.
        if (Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.IsCancellationRequested)
        {
            await Host.StopAsync();
        }

        Host.Dispose();
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Testing.Tests.Support;

/// <summary>A real generic host with ActivityLog, <c>AddCapture()</c> and a fake clock.</summary>
internal sealed class CaptureHost : IAsyncDisposable
{
    /// <summary>The fake clock's start: 2024-12-09T10:11:24Z, Unix 1733739084.</summary>
    public static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1733739084);

    private readonly bool _started;

    private CaptureHost(IHost host, FakeTimeProvider time, bool started)
    {
        Host = host;
        Time = time;
        _started = started;
    }

    public IHost Host { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => Host.Services;

    public IActivityRecorder Recorder => Services.GetRequiredService<IActivityRecorder>();

    public CapturingActivitySink Capture => Services.GetRequiredService<CapturingActivitySink>();

    public static async Task<CaptureHost> StartAsync(Action<ActivityLogBuilder>? configure = null, bool start = true)
    {
        var time = new FakeTimeProvider(Start);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        var activityLog = builder.Services.AddActivityLog().AddCapture();
        configure?.Invoke(activityLog);
        var host = builder.Build();
        if (start)
        {
            await host.StartAsync();
        }

        return new CaptureHost(host, time, start);
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await Host.StopAsync();
        }

        if (Host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            Host.Dispose();
        }
    }
}

using ActivityLog.Webhooks.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests.Support;

/// <summary>
/// A real generic host with ActivityLog and the webhooks package, on a <see cref="FakeTimeProvider"/> so that tests
/// drive the retry schedule; the core's batch delay and the endpoints' batch delay are zero so that nothing waits on
/// the fake clock unless a test means it to.
/// </summary>
public sealed class WebhookTestHost : IAsyncDisposable
{
    /// <summary>A valid Standard Webhooks secret (32 bytes).</summary>
    public static readonly string Secret = "whsec_" + Convert.ToBase64String([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);

    /// <summary>A second valid secret, for rotations.</summary>
    public static readonly string OtherSecret = "whsec_" + Convert.ToBase64String([.. Enumerable.Range(101, 32).Select(i => (byte)i)]);

    private readonly IHost _host;
    private bool _stopped;

    private WebhookTestHost(IHost host, FakeTimeProvider time)
    {
        _host = host;
        Time = time;
    }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => _host.Services;

    public IActivityRecorder Recorder => Services.GetRequiredService<IActivityRecorder>();

    public IActivityWebhooks Webhooks => Services.GetRequiredService<IActivityWebhooks>();

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public static WebhookEndpointOptions Endpoint(Uri url, Action<WebhookEndpointOptions>? configure = null)
    {
        var endpoint = new WebhookEndpointOptions { Url = url, Secret = Secret, MaxBatchDelay = TimeSpan.Zero };
        configure?.Invoke(endpoint);
        return endpoint;
    }

    public static IHost Build(
        Action<ActivityWebhookOptions>? configure,
        FakeTimeProvider time,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? configuration = null)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        builder.Logging.AddFakeLogging().SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<TimeProvider>(time);
        services?.Invoke(builder.Services);
        builder.Services
            .AddActivityLog(o =>
            {
                o.BatchDelay = TimeSpan.Zero;
                o.Redaction.FilterResourceFields("user", "name");
                o.Descriptions.AddTemplate("activity_log.user.updated", "updated the user profile");
            })
            .AddWebhooks(webhooks =>
            {
                webhooks.AllowLoopback = true;
                configure?.Invoke(webhooks);
            });
        return builder.Build();
    }

    public static async Task<WebhookTestHost> StartAsync(
        Action<ActivityWebhookOptions>? configure,
        FakeTimeProvider? time = null,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? configuration = null,
        Action<IActivityRecorder>? beforeStart = null)
    {
        var host = Create(configure, time, services, configuration);
        // Recorded before the dispatcher runs, these reach the sinks as one batch: deterministic payloads.
        beforeStart?.Invoke(host.Recorder);
        await host.RunAsync();
        return host;
    }

    /// <summary>A built host that has not started: collect metrics or record first, then <see cref="RunAsync"/>.</summary>
    public static WebhookTestHost Create(
        Action<ActivityWebhookOptions>? configure,
        FakeTimeProvider? time = null,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? configuration = null)
    {
        time ??= new FakeTimeProvider(DateTimeOffset.UtcNow);
        return new WebhookTestHost(Build(configure, time, services, configuration), time);
    }

    public Task RunAsync() => _host.StartAsync();

    public MetricCollector<long> Collect(string instrument) =>
        new(Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), WebhookMetrics.MeterName, instrument);

    public Task FlushAsync() => Services.GetRequiredService<IActivityDispatcher>().FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

    public static Task WaitAsync(MetricCollector<long> collector, int count) =>
        collector.WaitForMeasurementsAsync(count, TimeSpan.FromSeconds(30));

    public void RecordUser(int id, string name = "Jane Doe", string eventName = "activity_log.user.updated") =>
        Recorder.Record(eventName,
            actor: ActivityActor.User(id, name),
            resource: new ActivityResource("user", id, name),
            changes: [ActivityChange.Of("name", "Jane", name)],
            accountId: "acme");

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await FakeClockDisposal.DisposeAsync(_host, Time);
    }
}

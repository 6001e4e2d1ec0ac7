using ActivityLog.Delivery;
using ActivityLog.Extensibility;
using ActivityLog.Testing;
using ActivityLog.Webhooks.Delivery;
using ActivityLog.Webhooks.Subscriptions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests.Subscriptions.Support;

/// <summary>
/// A real generic host with ActivityLog, the test capture and the webhooks package with Settings → Webhooks and its
/// real delivery engine (in-memory outbox and subscription store), on a <see cref="FakeTimeProvider"/>; Data Protection keeps its key ring in a directory of the test's own (real
/// encryption, nothing written to the user's profile); every log record of every category is kept (Trace).
/// </summary>
internal sealed class SubscriptionTestHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly bool _ownsKeys;

    private SubscriptionTestHost(IHost host, FakeTimeProvider time, DirectoryInfo keys, bool ownsKeys)
    {
        _host = host;
        Time = time;
        Keys = keys;
        _ownsKeys = ownsKeys;
    }

    public FakeTimeProvider Time { get; }

    /// <summary>The Data Protection key ring's directory.</summary>
    public DirectoryInfo Keys { get; }

    public IServiceProvider Services => _host.Services;

    public IActivityWebhookSubscriptions Manager => Services.GetRequiredService<IActivityWebhookSubscriptions>();

    public IActivitySubscriptionStore Store => Services.GetRequiredService<WebhookSubscriptionStoreSelector>().Store;

    public InMemoryActivityOutbox Outbox => Services.GetRequiredService<ActivityOutboxSelector>().Memory!;

    /// <summary>What the delivery engine routes to and delivers from.</summary>
    public WebhookTargets Targets => Services.GetRequiredService<WebhookTargets>();

    public WebhookSecretProtector Protector => Services.GetRequiredService<WebhookSecretProtector>();

    public IActivityRecorder Recorder => Services.GetRequiredService<IActivityRecorder>();

    public ActivityDescriptionFormatter Formatter => Services.GetRequiredService<ActivityDescriptionFormatter>();

    public CapturingActivitySink Capture => Services.GetRequiredService<CapturingActivitySink>();

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public static async Task<SubscriptionTestHost> StartAsync(
        Action<WebhookSubscriptionOptions>? subscriptions = null,
        Action<IServiceCollection>? services = null,
        Action<ActivityWebhookOptions>? webhooks = null,
        DirectoryInfo? keys = null,
        Action<ActivityLogBuilder>? activityLog = null)
    {
        bool ownsKeys = keys is null;
        keys ??= Directory.CreateTempSubdirectory("activitylog-dp-");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddFakeLogging().SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddDataProtection().SetApplicationName("ActivityLog.Webhooks.Tests").PersistKeysToFileSystem(keys);
        // Registered so that the engine, which takes the last registered store, and the manager's selector share it.
        builder.Services.AddSingleton<IActivitySubscriptionStore, InMemoryActivitySubscriptionStore>();
        services?.Invoke(builder.Services);
        var log = builder.Services
            .AddActivityLog(o => o.BatchDelay = TimeSpan.Zero)
            .AddCapture()
            .AddWebhooks(o =>
            {
                o.Subscriptions.AllowLoopback = true;
                // Deliveries that cannot succeed (nothing listens on the drafts' port) do not hold the stop.
                o.ShutdownTimeout = TimeSpan.Zero;
                // Sent at once: nothing waits on the fake clock unless a test means it to.
                o.Subscriptions.MaxBatchDelay = TimeSpan.Zero;
                webhooks?.Invoke(o);
                subscriptions?.Invoke(o.Subscriptions);
            });
        activityLog?.Invoke(log);
        WebhookSubscriptionServices.Add(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new SubscriptionTestHost(host, time, keys, ownsKeys);
    }

    /// <summary>A draft that passes every rule: a loopback receiver (allowed here) that nothing listens on.</summary>
    public static WebhookSubscriptionDraft Draft(string description = "Logging", string url = "https://127.0.0.1:9/hooks/activity", params string[] events)
    {
        var draft = new WebhookSubscriptionDraft { Url = new Uri(url), Description = description };
        foreach (string e in events)
        {
            draft.Events.Add(e);
        }

        return draft;
    }

    /// <summary>John Doe of acme, as the page's middleware would set him.</summary>
    public static IDisposable AsJohnDoe() => ActivityScope.Begin(ActivityActor.User(42, "John Doe"), accountId: "acme");

    /// <summary>Jane Roe of globex.</summary>
    public static IDisposable AsJaneRoe() => ActivityScope.Begin(ActivityActor.User(7, "Jane Roe"), accountId: "globex");

    /// <summary>Every activity recorded so far, once the dispatcher has handed them to the capture.</summary>
    public Task<IReadOnlyList<ActivityLogEvent>> ActivitiesAsync() => Capture.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

    public async Task<IReadOnlyList<string>> SentencesAsync(string accountId) =>
        [.. (await ActivitiesAsync()).Where(e => e.AccountId == accountId).Select(e => Formatter.FormatSentence(e))];

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await ActivityLog.Webhooks.Tests.Support.FakeClockDisposal.DisposeAsync(_host, Time);
        if (_ownsKeys)
        {
            Keys.Delete(recursive: true);
        }
    }
}

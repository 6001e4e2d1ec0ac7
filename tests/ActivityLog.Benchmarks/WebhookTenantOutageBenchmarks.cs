using System.Globalization;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Extensibility;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.DataProtection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Benchmarks;

/// <summary>
/// Issue 13: 1,000 tenant subscriptions (100 accounts × 10) whose receiver answers 503 for a whole simulated day
/// (<see cref="FakeTimeProvider"/> moved through the Standard Webhooks schedule: at once, +5 s, +5 min, +30 min, +2 h,
/// +5 h, +10 h, then to 24 h) while 10,000 or 50,000 events are recorded for them, with the EF Core store on SQLite: pending work
/// lives in the database, and the managed heap that stays alive (after a full GC) must not grow with it.
/// </summary>
/// <remarks>
/// The figures are printed as <c>TENANT-OUTAGE</c> lines in the run's log: heap growth, deliveries still pending in
/// the outbox, attempts made, attempt-history rows kept, peak working set. Between steps of simulated time the
/// benchmark waits (in real time) until no attempt was made for 500 ms. In-process, one invocation.
/// </remarks>
[Config(typeof(LongInProcessConfig))]
[MemoryDiagnoser]
[WarmupCount(0)]
[IterationCount(1)]
[InvocationCount(1)]
public class WebhookTenantOutageBenchmarks
{
    private const int Accounts = 100;
    private const int PerAccount = 10;

    /// <summary>Events recorded during the outage (10 deliveries each): the heap should not follow them.</summary>
    [Params(10_000, 50_000)]
    public int Events { get; set; } = 50_000;

    [Benchmark(Description = "1,000 subscriptions down for 1 simulated day, EF Core SQLite")]
    public async Task SubscriptionsDownForADay()
    {
        string folder = Path.Combine(Path.GetTempPath(), "activitylog-bench", "tenant-outage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        long attempts = 0;
        var (receiver, receiverUrl) = WebhookReceiver.Start(StatusCodes.Status503ServiceUnavailable, () => Interlocked.Increment(ref attempts));
        await using var stopReceiver = receiver;

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddActivityLog(o =>
            {
                o.QueueCapacity = 100_000;
                o.BatchDelay = TimeSpan.Zero;
            })
            .AddEntityFrameworkStore(db => db.UseSqlite($"Data Source={Path.Combine(folder, "outage.db")}"), store => store.CreateSchemaOnStart = true)
            .AddWebhooks(w =>
            {
                w.Subscriptions.AllowHttp = true;
                w.Subscriptions.AllowLoopback = true;
                w.Subscriptions.MaxBatchDelay = TimeSpan.Zero;
            });

        using var host = builder.Build();
        await host.StartAsync();
        var subscriptions = host.Services.GetRequiredService<IActivityWebhookSubscriptions>();
        var ids = new List<Guid>();
        for (int a = 0; a < Accounts; a++)
        {
            string account = "account-" + a.ToString(CultureInfo.InvariantCulture);
            using var admin = ActivityScope.Begin(ActivityActor.User(1, "Admin"), accountId: account);
            for (int n = 0; n < PerAccount; n++)
            {
                var created = await subscriptions.CreateAsync(account, new WebhookSubscriptionDraft
                {
                    // Each subscription its own URL (the query string keeps the receiver's one route).
                    Url = new Uri(string.Create(CultureInfo.InvariantCulture, $"{receiverUrl}?s={a}-{n}")),
                    Description = "Stream " + n.ToString(CultureInfo.InvariantCulture),
                    Events = { "activity_log.user.*" },
                });
                ids.Add(created.Subscription.Id);
            }
        }

        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();
        await dispatcher.FlushAsync();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < Events; i++)
        {
            recorder.Record("activity_log.user.updated",
                actor: ActivityActor.User(783, "Jane Doe"),
                resource: new ActivityResource("user", i, "Jane Doe"),
                changes: [ActivityChange.Of("title", "Engineer", "Senior engineer")],
                accountId: "account-" + (i % Accounts).ToString(CultureInfo.InvariantCulture));
        }

        await dispatcher.FlushAsync();
        await AttemptsIdle.WaitAsync(() => Interlocked.Read(ref attempts), TimeSpan.FromMilliseconds(500));
        var elapsed = TimeSpan.Zero;
        foreach (var step in (TimeSpan[])[TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10)])
        {
            time.Advance(step);
            elapsed += step;
            await AttemptsIdle.WaitAsync(() => Interlocked.Read(ref attempts), TimeSpan.FromMilliseconds(500));
        }

        time.Advance(TimeSpan.FromDays(1) - elapsed);
        await AttemptsIdle.WaitAsync(() => Interlocked.Read(ref attempts), TimeSpan.FromMilliseconds(500));

        long after = GC.GetTotalMemory(forceFullCollection: true);
        var outbox = host.Services.GetServices<IActivityOutbox>().Last();
        long pending = 0;
        foreach (var id in ids)
        {
            pending += await outbox.CountPendingAsync("webhooks:sub:" + id.ToString("N"));
        }

        long history = 0;
        foreach (var id in ids.Take(10))
        {
            history += (await subscriptions.ListAttemptsAsync("account-0", id)).Count;
        }

        using var process = System.Diagnostics.Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TENANT-OUTAGE subscriptions={ids.Count} events={Events} simulated=24h heap-growth={(after - before) / 1024.0 / 1024.0:F1} MB pending={pending} "
            + $"attempts={Interlocked.Read(ref attempts)} history(account-0)={history} dropped={dispatcher.DroppedCount} peak-working-set={process.PeakWorkingSet64 / 1024.0 / 1024.0:F0} MB"));

        await host.StopAsync();
    }

    /// <summary>In-process like <c>[InProcess]</c>, with room for a run of several minutes (its default timeout is 5).</summary>
    private sealed class LongInProcessConfig : ManualConfig
    {
        public LongInProcessConfig() =>
            AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true)));
    }
}

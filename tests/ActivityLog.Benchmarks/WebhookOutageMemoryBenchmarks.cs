using System.Globalization;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Benchmarks;

/// <summary>
/// An endpoint that answers 503 for an hour of simulated time (<see cref="FakeTimeProvider"/>) while 50,000 events are
/// recorded for it: the managed heap that stays alive (after a full GC) with the EF Core store's outbox on SQLite,
/// where pending batches live in the database, against the in-memory outbox used without a store, where they live in
/// RAM (bounded by <c>InMemoryCapacity</c>). Within the hour the Standard Webhooks schedule tries every batch 4 times
/// (at once, +5 s, +5 min, +30 min).
/// </summary>
/// <remarks>
/// The figures are printed as <c>OUTAGE-HEAP</c> lines in the run's log: heap growth, events still pending, attempts
/// made. Between steps of simulated time the benchmark waits (in real time) until the workers are idle: no new attempt
/// for 300 ms. In-process, one invocation per iteration.
/// </remarks>
[InProcess]
[MemoryDiagnoser]
[WarmupCount(0)]
[IterationCount(1)]
[InvocationCount(1)]
public class WebhookOutageMemoryBenchmarks
{
    private const int Events = 50_000;

    /// <summary>Where pending deliveries live: <c>efcore-sqlite</c> (the outbox) or <c>in-memory</c>.</summary>
    [Params("efcore-sqlite", "in-memory")]
    public string Outbox { get; set; } = "efcore-sqlite";

    [Benchmark(Description = "50,000 events for an endpoint down for 1 simulated hour")]
    public async Task EndpointDownForAnHour()
    {
        string folder = Path.Combine(Path.GetTempPath(), "activitylog-bench", "outage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        long attempts = 0;
        var (receiver, receiverUrl) = WebhookReceiver.Start(StatusCodes.Status503ServiceUnavailable, () => Interlocked.Increment(ref attempts));
        await using var stopReceiver = receiver;
        var url = new Uri(receiverUrl);

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        var log = builder.Services.AddActivityLog().Configure(o =>
        {
            o.QueueCapacity = 100_000;
            o.BatchDelay = TimeSpan.Zero;
        });
        if (Outbox == "efcore-sqlite")
        {
            log.AddEntityFrameworkStore(db => db.UseSqlite($"Data Source={Path.Combine(folder, "outage.db")}"), store => store.CreateSchemaOnStart = true);
        }

        log.AddWebhooks(w =>
        {
            w.AllowLoopback = true;
            w.Endpoints["down"] = new WebhookEndpointOptions
            {
                Url = url,
                Secret = WebhookReceiver.Secret,
                MaxBatchEvents = 100,
                MaxBatchDelay = TimeSpan.Zero,
            };
        });

        using var host = builder.Build();
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();
        var webhooks = host.Services.GetRequiredService<IActivityWebhooks>();

        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < Events; i++)
        {
            recorder.Record("activity_log.user.updated",
                actor: ActivityActor.User(783, "Jane Doe"),
                resource: new ActivityResource("user", i, "Jane Doe"),
                changes: [ActivityChange.Of("title", "Engineer", "Senior engineer"), ActivityChange.Of("plan", "free", "pro")],
                accountId: "acme");
        }

        await dispatcher.FlushAsync();
        await AttemptsIdle.WaitAsync(() => Interlocked.Read(ref attempts), TimeSpan.FromMilliseconds(300));
        foreach (var step in (TimeSpan[])[TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(24) + TimeSpan.FromSeconds(55)])
        {
            time.Advance(step);
            await AttemptsIdle.WaitAsync(() => Interlocked.Read(ref attempts), TimeSpan.FromMilliseconds(300));
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        long pending = await webhooks.CountPendingAsync("down");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"OUTAGE-HEAP outbox={Outbox} events={Events} simulated=1h heap-growth={(after - before) / 1024.0 / 1024.0:F1} MB pending={pending} attempts={Interlocked.Read(ref attempts)} dropped={dispatcher.DroppedCount}"));

        await host.StopAsync();
    }
}

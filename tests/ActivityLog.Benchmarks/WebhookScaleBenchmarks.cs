using System.Diagnostics;
using System.Globalization;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.DataProtection;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The scale run of issue 13: <see cref="Accounts"/> accounts with 10 tenant subscriptions each (every one its own URL on
/// four loopback Kestrel receivers), 100,000 events recorded round-robin over the accounts, delivered by the one engine
/// from the in-memory outbox. Reports whether every subscription received every event of its account, the time to drain,
/// the process's peak thread count and peak working set (receivers included: they run in this process), and when
/// each account got its first delivery and its last, so that an account waiting for another's backlog would show.
/// </summary>
/// <remarks>
/// The figures are printed as <c>SCALE</c> lines in the run's log. In-process, one invocation: a scale run, not a
/// microbenchmark; the BenchmarkDotNet time is the whole run (subscriptions created, events recorded, all delivered).
/// Subscriptions receive JSON Lines, so the receivers count events by counting lines.
/// </remarks>
[InProcess]
[MemoryDiagnoser]
[WarmupCount(0)]
[IterationCount(1)]
[InvocationCount(1)]
public class WebhookScaleBenchmarks
{
    private const int PerAccount = 10;
    private const int Events = 100_000;
    private const int Receivers = 4;

    /// <summary>Accounts, 10 subscriptions each.</summary>
    [Params(100, 1000)]
    public int Accounts { get; set; } = 1000;

    [Benchmark(Description = "100,000 events to N accounts × 10 subscriptions, until all delivered")]
    public async Task DeliverToEveryAccount()
    {
        int endpoints = Accounts * PerAccount;
        long expectedPerSubscription = Events / Accounts;
        var received = new long[endpoints];
        var firstAt = new long[Accounts];
        var doneAt = new long[Accounts];
        var completeSubscriptions = new int[Accounts];
        int accountsDone = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();

        void Count(int account, int n, long lines)
        {
            long elapsed = clock.ElapsedTicks;
            Interlocked.CompareExchange(ref firstAt[account], elapsed, 0);
            if (Interlocked.Add(ref received[(account * PerAccount) + n], lines) == expectedPerSubscription
                && Interlocked.Increment(ref completeSubscriptions[account]) == PerAccount)
            {
                doneAt[account] = elapsed;
                if (Interlocked.Increment(ref accountsDone) == Accounts)
                {
                    allDone.TrySetResult();
                }
            }
        }

        var receivers = new List<WebApplication>();
        var urls = new List<string>();
        for (int r = 0; r < Receivers; r++)
        {
            var (app, url) = StartReceiver(Count);
            receivers.Add(app);
            urls.Add(url);
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddActivityLog(o =>
        {
            o.QueueCapacity = Events + endpoints;
            o.BatchDelay = TimeSpan.Zero;
        }).AddWebhooks(w =>
        {
            w.Subscriptions.AllowHttp = true;
            w.Subscriptions.AllowLoopback = true;
            w.Subscriptions.MaxPerAccount = PerAccount;
        });
        using var host = builder.Build();
        await host.StartAsync();
        var subscriptions = host.Services.GetRequiredService<IActivityWebhookSubscriptions>();
        for (int a = 0; a < Accounts; a++)
        {
            using var admin = ActivityScope.Begin(ActivityActor.User(1, "Admin"), accountId: AccountId(a));
            for (int n = 0; n < PerAccount; n++)
            {
                await subscriptions.CreateAsync(AccountId(a), new WebhookSubscriptionDraft
                {
                    Url = new Uri(string.Create(CultureInfo.InvariantCulture, $"{urls[((a * PerAccount) + n) % Receivers]}/{a}/{n}")),
                    Format = WebhookPayloadFormat.JsonLines,
                    Description = "Stream " + n.ToString(CultureInfo.InvariantCulture),
                    Events = { "activity_log.user.*" },
                });
            }
        }

        var process = Process.GetCurrentProcess();
        int peakThreads = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                peakThreads = Math.Max(peakThreads, process.Threads.Count);
                await Task.Delay(100, CancellationToken.None);
            }
        });

        var exceptions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        void OnException(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e) =>
            exceptions.AddOrUpdate(e.Exception.GetType().Name, 1, static (_, n) => n + 1);
        AppDomain.CurrentDomain.FirstChanceException += OnException;
        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        clock.Restart();
        for (int i = 0; i < Events; i++)
        {
            recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", i, "User"), accountId: AccountId(i % Accounts));
        }

        double recordedAt = clock.Elapsed.TotalSeconds;
        bool delivered = await Task.WhenAny(allDone.Task, Task.Delay(TimeSpan.FromMinutes(10))) == allDone.Task;
        double drain = clock.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        AppDomain.CurrentDomain.FirstChanceException -= OnException;
        process.Refresh();
        // What stays alive with every subscription still registered and nothing pending: the per-endpoint cost.
        long liveHeap = GC.GetTotalMemory(forceFullCollection: true);

        long deliveredEvents = received.Sum();
        var first = firstAt.Select(Seconds).Order().ToArray();
        var done = doneAt.Where(t => t > 0).Select(Seconds).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SCALE accounts={Accounts} subscriptions={endpoints} events={Events} all-delivered={delivered} delivered-events={deliveredEvents}/{(long)Events * PerAccount} "
            + $"recorded-in={recordedAt:F1}s drain={drain:F1}s peak-threads={peakThreads} peak-working-set={process.PeakWorkingSet64 / 1024.0 / 1024.0:F0}MB (process lifetime) "
            + $"live-heap-after={liveHeap / 1024.0 / 1024.0:F1}MB first-exceptions={string.Join(',', exceptions.Select(e => e.Key + ':' + e.Value.ToString(CultureInfo.InvariantCulture)))} "
            + $"first-delivery(max)={first[^1]:F1}s account-done(p50/p99/max)={Percentile(done, 0.5):F1}/{Percentile(done, 0.99):F1}/{(done.Length > 0 ? done[^1] : double.NaN):F1}s"));

        await host.StopAsync();
        foreach (var app in receivers)
        {
            await app.DisposeAsync();
        }

        if (!delivered)
        {
            throw new InvalidOperationException($"Not every subscription received every event of its account within 10 minutes ({deliveredEvents} delivered).");
        }
    }

    private static string AccountId(int index) => "account-" + index.ToString(CultureInfo.InvariantCulture);

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];

    /// <summary>A receiver at <c>…/hooks/{account}/{n}</c> that counts the JSON Lines of each request and answers 204.</summary>
    private static (WebApplication App, string Url) StartReceiver(Action<int, int, long> count)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/hooks/{account:int}/{n:int}", async (int account, int n, HttpRequest request) =>
        {
            long lines = 0;
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(buffer)) > 0)
            {
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }

            count(account, n, lines);
            return Results.NoContent();
        });
        app.StartAsync().GetAwaiter().GetResult();
        return (app, app.Urls.Single() + "/hooks");
    }
}

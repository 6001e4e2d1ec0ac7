using ActivityLog.Extensibility;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Benchmarks;

/// <summary>A real generic host with ActivityLog, quiet logging and the given sinks.</summary>
internal static class BenchmarkHost
{
    public static IHost Start(Action<ActivityLogBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        configure(builder.Services.AddActivityLog());
        var host = builder.Build();
        host.StartAsync().GetAwaiter().GetResult();
        return host;
    }
}

/// <summary>A sink that accepts and forgets: the cost of delivery is not what these benchmarks measure.</summary>
internal sealed class DiscardingSink : IActivitySink
{
    public long Count;

    public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref Count, batch.Count);
        return Task.CompletedTask;
    }
}

/// <summary>A sink that never completes: a database that stopped answering.</summary>
internal sealed class StalledSink : IActivitySink
{
    public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken) =>
        Task.Delay(Timeout.Infinite, cancellationToken);
}

/// <summary>A webhook receiver on 127.0.0.1 (Kestrel, any free port) that answers every POST with one status code.</summary>
internal static class WebhookReceiver
{
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /// <summary>Starts the receiver.</summary>
    /// <param name="status">The answer to every request: 204 by default; 503 for an endpoint that is down.</param>
    /// <param name="onRequest">Called for every request, before the answer.</param>
    public static (WebApplication App, string Url) Start(int status = StatusCodes.Status204NoContent, Action? onRequest = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/hooks", () =>
        {
            onRequest?.Invoke();
            return Results.StatusCode(status);
        });
        app.StartAsync().GetAwaiter().GetResult();
        string address = app.Urls.Single();
        return (app, address + "/hooks");
    }
}

/// <summary>Waits, in real time, until a count of webhook attempts stops moving: the workers have nothing due.</summary>
internal static class AttemptsIdle
{
    public static async Task WaitAsync(Func<long> attempts, TimeSpan quiet)
    {
        long last = -1;
        while (attempts() != last)
        {
            last = attempts();
            await Task.Delay(quiet);
        }
    }
}

/// <summary>
/// Brings a benchmark's code to the steady state a long-running app reaches before BenchmarkDotNet measures it.
/// </summary>
/// <remarks>
/// Tiered compilation promotes a method only after 100 ms without new tier-0 compilations. Benchmarks whose iterations
/// last a few milliseconds and whose cleanup runs other code (a flush, an HTTP delivery) keep postponing that, so for
/// the first dozens of iterations the measured path runs unoptimized, about five times slower, and more so the more
/// code the cleanup runs: a configuration with webhooks then looked slower on the caller than one without. BenchmarkDotNet's
/// warm-up counts iterations, not compilations, so this runs whole rounds (with pauses longer than that delay) until
/// the JIT is quiet.
/// </remarks>
internal static class JitWarmUp
{
    private const int MinRounds = 5;
    private const int MaxRounds = 30;
    private const int QuietCompilations = 10;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Warms an iteration as BenchmarkDotNet runs it, <paramref name="invocations"/> calls of
    /// <paramref name="operation"/> then <paramref name="cleanup"/>, in rounds (5 to 30, each followed by a pause) until
    /// a round compiles fewer than ten methods.
    /// </summary>
    /// <param name="invocations">The benchmark's invocation count per iteration.</param>
    /// <param name="operation">The benchmark method.</param>
    /// <param name="cleanup">The iteration cleanup.</param>
    public static void Run(int invocations, Action operation, Action cleanup)
    {
        for (int rounds = 1; rounds <= MaxRounds; rounds++)
        {
            long before = System.Runtime.JitInfo.GetCompiledMethodCount();
            for (int i = 0; i < invocations; i++)
            {
                operation();
            }

            cleanup();
            Thread.Sleep(Pause);
            if (rounds >= MinRounds && System.Runtime.JitInfo.GetCompiledMethodCount() - before < QuietCompilations)
            {
                return;
            }
        }
    }
}

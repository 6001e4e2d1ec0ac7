using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Testing.Postgres;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The request overhead of <c>UseActivityLog()</c> plus one <c>Record()</c> in a minimal API handler, against the same
/// app without ActivityLog (the baseline). Target (issue 5): at most 2 µs more per request.
/// </summary>
/// <remarks>
/// <para>
/// Each request runs the app's real middleware pipeline (a tiny middleware that signs the caller in, routing, the
/// minimal API endpoint) in process, on a fresh <see cref="DefaultHttpContext"/> with a client address and a user
/// agent, as the server would hand it over. The pipeline is invoked directly rather than through a socket or a
/// TestServer so the microseconds measured are the app's, not the transport's (Kestrel on loopback costs tens of µs
/// per request and would bury the difference in noise).
/// </para>
/// <para>
/// The recorded events go through the real queue to a discarding sink; each iteration records
/// <see cref="PerIteration"/> events (the default queue capacity) and the iteration cleanup flushes them through the
/// pipeline, as in <see cref="RecordBenchmarks"/>, so the rows measure the request thread's cost. The setup runs
/// rounds of the measured app alone until the JIT is quiet (<see cref="JitWarmUp"/>).
/// </para>
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[InvocationCount(PerIteration)]
[WarmupCount(5)]
[IterationCount(30)]
[ProcessCount(3)]
public class AspNetCoreBenchmarks
{
    private const int PerIteration = 10_000;

    private static readonly ActivityResource Domain = new("domain", "7", "example.com");
    private static readonly IPAddress Client = IPAddress.Parse("203.0.113.7");

    private readonly ClaimsPrincipal _user = new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, "783"),
            new Claim(ClaimTypes.Name, "John Doe"),
            new Claim("account_id", "acct-a"),
            new Claim("amr", "pwd"),
        ],
        authenticationType: "Cookies"));

    private IHost _host = null!;
    private IActivityDispatcher _dispatcher = null!;
    private RequestDelegate _without = null!;
    private RequestDelegate _with = null!;
    private RequestDelegate _captureOnly = null!;

    /// <summary>Sets up, then warms the baseline alone: a shared warm-up would mix the apps in the JIT's profile.</summary>
    [GlobalSetup(Target = nameof(WithoutActivityLog))]
    public void SetupWithout()
    {
        Setup();
        WarmUp(_without);
    }

    /// <summary>Sets up, then warms the app that records.</summary>
    [GlobalSetup(Target = nameof(WithActivityLog))]
    public void SetupWith()
    {
        Setup();
        WarmUp(_with);
    }

    /// <summary>Sets up, then warms the app that only captures the context.</summary>
    [GlobalSetup(Target = nameof(CaptureOnly))]
    public void SetupCaptureOnly()
    {
        Setup();
        WarmUp(_captureOnly);
    }

    private void WarmUp(RequestDelegate app) => JitWarmUp.Run(PerIteration, () => app(NewContext()).GetAwaiter().GetResult(), Flush);

    private void Setup()
    {
        _host = BenchmarkHost.Start(log =>
        {
            AddWebHostBasics(log.Services);
            log.AddSink(new DiscardingSink()).AddAspNetCore().Configure(o =>
            {
                // As in RecordBenchmarks: the queue holds an iteration, and the pipeline runs in the iteration
                // cleanup's flush, not on the core the request thread competes for (this machine has two).
                o.QueueCapacity = 2 * PerIteration;
                o.BatchDelay = TimeSpan.FromMinutes(1);
            });
        });
        _dispatcher = _host.Services.GetRequiredService<IActivityDispatcher>();

        _without = Pipeline(activityLog: false, endpoints => endpoints.MapGet("/domains", () => Results.Ok()));
        _with = Pipeline(activityLog: true, endpoints => endpoints.MapGet("/domains", (IActivityRecorder recorder) =>
        {
            recorder.Record("activity_log.domain.added", Domain);
            return Results.Ok();
        }));
        _captureOnly = Pipeline(activityLog: true, endpoints => endpoints.MapGet("/domains", () => Results.Ok()));

        // Fail the setup, not the numbers, if the measured app does not record what it should.
        var context = NewContext();
        _with(context).GetAwaiter().GetResult();
        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException($"The benchmark endpoint answered {context.Response.StatusCode}.");
        }

        _dispatcher.FlushAsync().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }

    [IterationCleanup]
    public void Flush()
    {
        _dispatcher.FlushAsync().GetAwaiter().GetResult();

        // As in RecordBenchmarks: no iteration is charged with a full collection of an earlier one's garbage.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }

    [Benchmark(Baseline = true, Description = "minimal API handler, no ActivityLog")]
    public Task WithoutActivityLog() => _without(NewContext());

    [Benchmark(Description = "UseActivityLog + Record() in the handler")]
    public Task WithActivityLog() => _with(NewContext());

    [Benchmark(Description = "UseActivityLog only (context capture, no Record)")]
    public Task CaptureOnly() => _captureOnly(NewContext());

    /// <summary>What the web host registers and routing needs, on the generic host these benchmarks use.</summary>
    /// <summary>
    /// A host with the EF Core store on PostgreSQL, <c>UseActivityLog()</c> and <c>MapActivityLog()</c> at the default
    /// route, and the in-process pipeline that serves it to <paramref name="user"/> (no socket): the page and export benchmarks' set-up.
    /// </summary>
    internal static (IHost Host, RequestDelegate App) StartPageHost(string connectionString, ClaimsPrincipal user)
    {
        var host = BenchmarkHost.Start(log =>
        {
            AddWebHostBasics(log.Services);
            log.Services.AddAuthentication();
            log.Services.AddAuthorization();
            log.AddEntityFrameworkStore(db => db.UseNpgsql(connectionString)).AddAspNetCore();
        });

        var app = new ApplicationBuilder(host.Services);
        app.Use((context, next) =>
        {
            context.User = user;
            return next(context);
        });
        app.UseActivityLog();
        app.UseRouting();
        app.UseAuthorization();
        app.UseEndpoints(endpoints => endpoints.MapActivityLog());
        return (host, app.Build());
    }

    internal static void AddWebHostBasics(IServiceCollection services)
    {
        var listener = new DiagnosticListener("Microsoft.AspNetCore");
        services.AddSingleton(listener);
        services.AddSingleton<DiagnosticSource>(listener);
        services.AddRouting();
    }

    private RequestDelegate Pipeline(bool activityLog, Action<IEndpointRouteBuilder> map)
    {
        var app = new ApplicationBuilder(_host.Services);
        app.Use((context, next) =>
        {
            context.User = _user; // what UseAuthentication leaves behind for a signed-in user
            return next(context);
        });
        if (activityLog)
        {
            app.UseActivityLog();
        }

        app.UseRouting();
        app.UseEndpoints(map);
        return app.Build();
    }

    private DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext { RequestServices = _host.Services };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/domains";
        context.Request.Headers.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) Benchmark/1.0";
        context.Connection.RemoteIpAddress = Client;
        return context;
    }
}

/// <summary>
/// The Activity Log page's first load (<c>GET /settings/activity-log</c>, server-rendered HTML of the newest 50 events)
/// for an account with 100,000 of 1,000,000 events on PostgreSQL. Target (issue 5): server time under 20 ms.
/// </summary>
/// <remarks>
/// Uses the database of <see cref="ReaderBenchmarks"/> (<c>activitylog_bench_reader</c>, account <c>acct-000</c>): its
/// public setup seeds it when missing (a few minutes, once) and checks the reader's plans. The request runs the app's
/// real pipeline in process (authorization, the page handler, the EF Core reader on a pooled context, the HTML writer),
/// so the time is the server's, without a socket.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class AspNetCorePageBenchmarks
{
    private const string Account = "acct-000";

    private readonly ClaimsPrincipal _user = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "1"), new Claim(ClaimTypes.Name, "Bench Admin"), new Claim("account_id", Account)],
        authenticationType: "Cookies"));

    private IHost _host = null!;
    private RequestDelegate _app = null!;

    [GlobalSetup]
    public void Setup()
    {
        var seed = new ReaderBenchmarks();
        seed.Setup();
        seed.Cleanup();
        string connectionString = new NpgsqlConnectionStringBuilder(PostgresServer.Main.ConnectionString)
        {
            Database = ReaderBenchmarks.DatabaseName,
            Pooling = true,
        }.ConnectionString;

        (_host, _app) = AspNetCoreBenchmarks.StartPageHost(connectionString, _user);

        var check = NewContext();
        using (var scope = _host.Services.CreateScope())
        {
            check.RequestServices = scope.ServiceProvider;
            _app(check).GetAwaiter().GetResult();
        }

        var body = (MemoryStream)check.Response.Body;
        string html = System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
        int rows = html.Split("<tr class=\"activity\"").Length - 1;
        if (check.Response.StatusCode != StatusCodes.Status200OK || rows != 50 || !html.Contains("id=\"load-more\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The page answered {check.Response.StatusCode} with {rows} rows; expected 200 with 50 rows and a load-more link.");
        }

        Console.WriteLine($"// The page's first load is {body.Length:N0} bytes of HTML with {rows} rows.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }

    [Benchmark(Description = "GET /settings/activity-log (first page, 50 of 100,000)")]
    public async Task<long> PageFirstLoad()
    {
        // A scope per request, as the server's request services feature creates one.
        await using var scope = _host.Services.CreateAsyncScope();
        var context = NewContext();
        context.RequestServices = scope.ServiceProvider;
        await _app(context);
        return context.Response.Body.Length;
    }

    private static DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/settings/activity-log";
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Response.Body = new MemoryStream();
        return context;
    }
}

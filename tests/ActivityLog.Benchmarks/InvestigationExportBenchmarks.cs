using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Claims;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The memory of an export (issue 14: "JSON Lines and CSV of any filtered range stream with constant memory; report the
/// memory of exporting 1,000,000 events"): <c>GET {MapActivityLog}/api/export?format=…</c> of a whole account, through
/// the app's real pipeline in process (authorization, the export handler, the EF Core reader's <c>ReadAllAsync</c> on a
/// pooled context, the CSV or JSON Lines writer), the body streamed into a stream that counts and forgets.
/// </summary>
/// <remarks>
/// <para>
/// 100,000 events are <see cref="ReaderBenchmarks"/>' large account; 1,000,000 are the only account of a second database
/// (<see cref="DatabaseName"/>, seeded the same way, once). Constant memory means the peak heap during the export does
/// not follow the number of events: the two sizes are compared.
/// </para>
/// <para>
/// A sampler thread reads <see cref="GC.GetTotalMemory(bool)"/> every 5 ms during the request; the columns show the live
/// heap after a full collection before the request, the highest sample above it, and the bytes the process allocated
/// during the request (all threads, the database driver's included). One request per case (an export of a million
/// events takes tens of seconds), on a 30-minute in-process toolchain as <see cref="WebhookTenantOutageBenchmarks"/>.
/// </para>
/// </remarks>
[Config(typeof(ExportConfig))]
[MemoryDiagnoser]
[WarmupCount(0)]
[IterationCount(1)]
[InvocationCount(1)]
public class InvestigationExportBenchmarks
{
    public const string DatabaseName = "activitylog_bench_export";
    private const string ExportAccount = "acct-900";
    private const string SeedMarker = "export-v2 (account+search GIN index): 1000000 events over 90 days, all in acct-900, 200 actors, search text";

    private static readonly ConcurrentDictionary<string, Measured> Results = new();

    private IHost _host = null!;
    private RequestDelegate _app = null!;
    private string _connectionString = null!;
    private string _account = null!;

    [Params("csv", "jsonl")]
    public string Format { get; set; } = "csv";

    [Params(100_000, 1_000_000)]
    public int Events { get; set; } = 1_000_000;

    [GlobalSetup]
    public void Setup()
    {
        (_connectionString, _account) = Events == 1_000_000
            ? (BenchmarkDatabase.EnsureSeededAsync(DatabaseName, SeedMarker, _ => ExportAccount, 1_000_000).GetAwaiter().GetResult(), ExportAccount)
            : (ReaderBenchmarks.EnsureSeededAsync().GetAwaiter().GetResult(), BenchmarkDatabase.LargeAccount);
        var user = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "1"), new Claim(ClaimTypes.Name, "Bench Admin"), new Claim("account_id", _account)],
            authenticationType: "Cookies"));
        (_host, _app) = AspNetCoreBenchmarks.StartPageHost(_connectionString, user);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }

    /// <summary>Removes the export's own viewing event, so that the next export reads exactly the seeded events.</summary>
    [IterationCleanup]
    public void RemoveExportedEvent()
    {
        _host.Services.GetRequiredService<IActivityDispatcher>().FlushAsync().GetAwaiter().GetResult();
        using var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        using var delete = new NpgsqlCommand("DELETE FROM activity_events WHERE name = 'activity_log.activity_log.exported'", connection);
        delete.ExecuteNonQuery();
    }

    [Benchmark(Description = "GET /api/export, whole account")]
    public async Task<long> Export()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        int gen2 = GC.CollectionCount(2);
        long peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                Thread.Sleep(5);
            }
        }) { IsBackground = true, Name = "heap sampler" };
        sampler.Start();

        var body = new CountingStream();
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            context.Request.Method = HttpMethods.Get;
            context.Request.Path = "/settings/activity-log/api/export";
            context.Request.QueryString = new QueryString($"?format={Format}");
            context.Connection.RemoteIpAddress = IPAddress.Loopback;
            context.Response.Body = body;
            await _app(context);
            await context.Response.CompleteAsync();
            if (context.Response.StatusCode != StatusCodes.Status200OK)
            {
                throw new InvalidOperationException($"The export answered {context.Response.StatusCode}.");
            }
        }

        stop.Cancel();
        sampler.Join();
        long lines = body.Lines - (Format == "csv" ? 1 : 0);
        if (lines < Events)
        {
            throw new InvalidOperationException($"The export wrote {lines:N0} rows of {Events:N0}.");
        }

        var measured = new Measured(before, peak - before, GC.GetTotalAllocatedBytes(precise: true) - allocated, body.Length, GC.CollectionCount(2) - gen2);
        Results[Key(Format, Events)] = measured;
        Console.WriteLine($"// export {Format} of {Events:N0} ({lines:N0} rows, {measured.Bytes / 1e6:N1} MB): heap before {measured.HeapBefore / 1e6:N1} MB, " +
            $"peak above it {measured.PeakAbove / 1e6:N1} MB, allocated {measured.Allocated / 1e6:N0} MB, gen2 collections {measured.Gen2}");
        return body.Length;
    }

    private static string Key(object? format, object? events) => string.Create(CultureInfo.InvariantCulture, $"{format}/{events}");

    private sealed record Measured(long HeapBefore, long PeakAbove, long Allocated, long Bytes, int Gen2);

    /// <summary>A response body that counts bytes and lines and keeps nothing.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public long Lines { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _length += buffer.Length;
            Lines += buffer.Count((byte)'\n');
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private sealed class ExportConfig : ManualConfig
    {
        public ExportConfig()
        {
            AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true)));
            AddColumn(
                new MeasuredColumn("Heap before", m => m.HeapBefore),
                new MeasuredColumn("Peak heap above before", m => m.PeakAbove),
                new MeasuredColumn("Allocated (all threads)", m => m.Allocated),
                new MeasuredColumn("Body", m => m.Bytes));
        }
    }

    /// <summary>One of the figures <see cref="Export"/> measured (in-process, so the summary can read them).</summary>
    private sealed class MeasuredColumn(string name, Func<Measured, long> value) : IColumn
    {
        public string Id => nameof(MeasuredColumn) + name;

        public string ColumnName => name;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Size;

        public string Legend => name + ", measured by the benchmark itself";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
            Results.TryGetValue(Key(benchmarkCase.Parameters[nameof(Format)], benchmarkCase.Parameters[nameof(Events)]), out var measured)
                ? string.Create(CultureInfo.InvariantCulture, $"{value(measured) / 1048576.0:N1} MB")
                : "-";

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}

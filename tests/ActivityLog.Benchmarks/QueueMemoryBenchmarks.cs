using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Benchmarks;

/// <summary>
/// Records 1,000,000 events with the default queue capacity into a sink that never completes, and reports the
/// managed heap that stays alive (after a full GC) and how many events were dropped and counted. The heap must be
/// bounded by the queue, not by the number of events recorded.
/// </summary>
/// <remarks>In-process so the custom columns can read what the run measured.</remarks>
[InProcess]
[MemoryDiagnoser]
[MedianColumn]
[Config(typeof(Columns))]
[WarmupCount(1)]
[IterationCount(3)]
[InvocationCount(1)]
public class QueueMemoryBenchmarks
{
    private const int Events = 1_000_000;
    private static readonly Dictionary<string, (double HeapMb, long Dropped, long Accepted)> Results = [];

    [Params(ActivityQueueFullMode.DropNewest)]
    public ActivityQueueFullMode Mode { get; set; }

    [Benchmark(Description = "Record 1,000,000 into a stalled sink (default capacity)")]
    public void RecordIntoStalledSink()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var host = BenchmarkHost.Start(log => log
            .AddSink(new StalledSink())
            .Configure(o =>
            {
                o.QueueFullMode = Mode;
                o.ShutdownTimeout = TimeSpan.Zero;
            }));
        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();

        for (int i = 0; i < Events; i++)
        {
            recorder.Record("activity_log.user.updated",
                actor: ActivityActor.User(783, "Jane Doe"),
                resource: new ActivityResource("user", i, "Jane Doe"),
                changes: [ActivityChange.Of("name", "Jane", "Jane Doe"), ActivityChange.Of("plan", "free", "pro")]);
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        long dropped = dispatcher.DroppedCount;
        long accepted = Events - dropped;
        if (accepted > 10_000 + 500)
        {
            throw new InvalidOperationException($"{accepted} events were held: more than the queue plus the batch in the stalled sink.");
        }
        lock (Results)
        {
            Results[Mode.ToString()] = ((after - before) / 1024.0 / 1024.0, dropped, accepted);
        }

        host.StopAsync().GetAwaiter().GetResult();
        host.Dispose();
    }

    private sealed class Columns : ManualConfig
    {
        public Columns()
        {
            AddColumn(new ResultColumn("RetainedHeap", r => $"{r.HeapMb:F1} MB"));
            AddColumn(new ResultColumn("Dropped+counted", r => r.Dropped.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
            AddColumn(new ResultColumn("Held (queue+batch)", r => r.Accepted.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private sealed class ResultColumn(string name, Func<(double HeapMb, long Dropped, long Accepted), string> format) : IColumn
    {
        public string Id => name;

        public string ColumnName => name;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => false;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => name;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            lock (Results)
            {
                return Results.TryGetValue(benchmarkCase.Parameters["Mode"]?.ToString() ?? "", out var r) ? format(r) : "?";
            }
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}

using System.Buffers;
using System.Text.Json;
using ActivityLog.Serialization;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The pipeline per event on one thread: gate (a real per-account lookup), id, redaction (default list plus the seed's
/// user → name rule), description from a template, and JSON serialization of the result. Events/s = 1e9 / Mean(ns).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(3)]
[IterationCount(20)]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: GlobalCleanup disposes the writer.
public class PipelineBenchmarks
#pragma warning restore CA1001
{
    private const int BatchSize = 500;

    private IHost _host = null!;
    private IActivityLogEventProcessor _processor = null!;
    private readonly List<ActivityLogEvent> _batch = new(BatchSize);
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 20);
    private Utf8JsonWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _host = BenchmarkHost.Start(log => log
            .UseGate((account, _) => ValueTask.FromResult(account == "acme"))
            .AddDescription("activity_log.user.updated", "updated the user profile {resource.name}")
            .ConfigureRedaction(r => r.FilterResourceFields("user", "name")));
        _processor = _host.Services.GetRequiredService<IActivityLogEventProcessor>();
        _writer = new Utf8JsonWriter(_buffer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.Dispose();
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }

    [Benchmark(OperationsPerInvoke = BatchSize, Description = "gate + id + redact + describe + serialize, per event")]
    public long Pipeline()
    {
        var now = DateTimeOffset.UtcNow;
        for (int i = 0; i < BatchSize; i++)
        {
            _batch.Add(new ActivityLogEvent
            {
                Name = "activity_log.user.updated",
                Actor = ActivityActor.User(783, "Jane Doe"),
                Resource = new ActivityResource("user", 783, "Jane Doe"),
                Changes = [ActivityChange.Of("name", "Jane", "Jane Doe"), ActivityChange.Of("plan", "free", "pro")],
                AccountId = "acme",
                Timestamp = now,
            });
        }

        _processor.ProcessAsync(_batch, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _buffer.ResetWrittenCount();
        foreach (var activity in _batch)
        {
            _writer.Reset();
            ActivityJsonSerializer.Write(_writer, activity);
            _writer.Flush();
        }

        _batch.Clear();
        return _buffer.WrittenCount;
    }
}

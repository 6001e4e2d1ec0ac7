using System.Threading.Channels;
using ActivityLog.Webhooks;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Benchmarks;

/// <summary>
/// The caller's cost of <c>Record()</c> with an actor, a resource and two changes, while the real dispatcher drains
/// the queue on the other core. Baseline: the floor the issue names — allocate a small record and write it to a
/// bounded channel whose reader drains in batches.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Sinks"/> <c>webhooks</c> adds the webhook emitter (one endpoint, a Kestrel receiver on loopback) beside
/// the discarding sink: the caller's cost must not change, since sinks run behind the queue. <c>receiver-only</c> hosts
/// the same Kestrel receiver in the process without the emitter, the control that separates the two.
/// </para>
/// Each iteration records <see cref="PerIteration"/> events (the default queue capacity) into a queue large enough to
/// hold them, and the iteration cleanup flushes, so the measured time is the recording path, not the pipeline behind it.
/// The setup first runs such rounds until the JIT is quiet (<see cref="JitWarmUp"/>).
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[InvocationCount(PerIteration)]
[WarmupCount(5)]
[IterationCount(50)]
[ProcessCount(3)]
public class RecordBenchmarks
{
    private const int PerIteration = 10_000;

    private static readonly ActivityActor Jane = ActivityActor.User(783, "Jane Doe");
    private static readonly ActivityResource Profile = new("user", 783, "Jane Doe");

    private IHost _host = null!;
    private WebApplication? _receiver;
    private IActivityRecorder _recorder = null!;
    private IActivityDispatcher _dispatcher = null!;
    private Channel<FloorItem> _channel = null!;
    private Task _floorReader = null!;

    /// <summary>What runs beside the discarding sink: nothing (<c>discard</c>), the Kestrel receiver alone (<c>receiver-only</c>), or the receiver and the webhook emitter (<c>webhooks</c>).</summary>
    [Params("discard", "receiver-only", "webhooks")]
    public string Sinks { get; set; } = "discard";

    /// <summary>Sets up, then warms the floor alone: a shared warm-up would mix both paths in the JIT's profile.</summary>
    [GlobalSetup(Target = nameof(ChannelFloor))]
    public void SetupFloor()
    {
        Setup();
        WarmUp(() => ChannelFloor());
    }

    /// <summary>Sets up, then warms <see cref="Record"/> alone.</summary>
    [GlobalSetup(Target = nameof(Record))]
    public void SetupRecord()
    {
        Setup();
        WarmUp(Record);
    }

    private void WarmUp(Action operation) => JitWarmUp.Run(PerIteration, operation, Drain);

    private void Setup()
    {
        string? receiverUrl = null;
        if (Sinks != "discard")
        {
            (_receiver, receiverUrl) = WebhookReceiver.Start();
        }

        _host = BenchmarkHost.Start(log => (Sinks != "webhooks" ? log : log.AddWebhooks(w =>
            {
                w.AllowLoopback = true;
                w.Endpoints["receiver"] = new WebhookEndpointOptions
                {
                    Url = new Uri(receiverUrl!),
                    Secret = WebhookReceiver.Secret,
                };
            }))
            .AddSink(new DiscardingSink())
            .Configure(o =>
            {
                o.QueueCapacity = 2 * PerIteration;
                // The dispatcher wakes on an iteration's first event and then waits out the batch delay, so the
                // pipeline runs in the iteration cleanup's flush, not on the core the recording thread competes for.
                o.BatchDelay = TimeSpan.FromMinutes(1);
            }));
        _recorder = _host.Services.GetRequiredService<IActivityRecorder>();
        _dispatcher = _host.Services.GetRequiredService<IActivityDispatcher>();

        _channel = Channel.CreateBounded<FloorItem>(new BoundedChannelOptions(2 * PerIteration)
        {
            SingleReader = true,
            AllowSynchronousContinuations = false,
        });
        _floorReader = Task.Run(async () =>
        {
            var batch = new List<FloorItem>(500);
            while (await _channel.Reader.WaitToReadAsync())
            {
                await Task.Delay(20); // drain in batches, like the dispatcher's batch delay
                while (batch.Count < 500 && _channel.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                batch.Clear();
            }
        });
    }

    [IterationCleanup]
    public void Drain()
    {
        _dispatcher.FlushAsync().GetAwaiter().GetResult();
        SpinWait.SpinUntil(() => _channel.Reader.Count == 0);

        // The webhook worker sends after the sink accepted the batch: let it finish here, so that its HTTP work does not
        // run on the other core during the next iteration's measurement.
        if (_host.Services.GetService<IActivityWebhooks>() is { } webhooks)
        {
            SpinWait.SpinUntil(() => webhooks.CountPendingAsync("receiver").GetAwaiter().GetResult() == 0);
        }

        // Collect what the iteration and the delivery behind it left (events that lived through a delivery reach
        // gen2), so that no iteration is charged with a full collection of an earlier one's garbage. Every row gets it.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
        if (_dispatcher.DroppedCount != 0)
        {
            throw new InvalidOperationException("The benchmark dropped events: the queue was too small.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _channel.Writer.Complete();
        _floorReader.GetAwaiter().GetResult();
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
        _receiver?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "floor: new record + bounded Channel.TryWrite")]
    public bool ChannelFloor() => _channel.Writer.TryWrite(new FloorItem("activity_log.user.updated", Jane, Profile, DateTimeOffset.UtcNow));

    [Benchmark(Description = "Record(actor, resource, 2 changes)")]
    public void Record() => _recorder.Record(
        "activity_log.user.updated",
        actor: Jane,
        resource: Profile,
        changes: [ActivityChange.Of("name", "Jane", "Jane Doe"), ActivityChange.Of("plan", "free", "pro")]);

    private sealed record FloorItem(string Name, ActivityActor Actor, ActivityResource Resource, DateTimeOffset Timestamp);
}

using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using ActivityLog.Serialization;
using ActivityLog.Webhooks;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Benchmarks;

/// <summary>
/// Webhook delivery to a Kestrel receiver on loopback, in events/s = 1e9 / Mean(ns) (one operation = one event):
/// through the emitter (Record → pipeline → JSON → HMAC signature → HTTP POST) with batches of 100, and with one event
/// per request spread over 8 endpoints (8 concurrent senders, since each endpoint has one worker); and the same bodies
/// posted by a bare HttpClient as the baseline. Events are about 430 bytes of JSON, like the reference figures.
/// </summary>
/// <remarks>
/// The emitter runs without a store (in-memory outbox) and with <c>MaxBatchDelay = 0</c>; the core's queue is sized so
/// that nothing is dropped. A run ends when the webhooks meter has counted every event as delivered. The batched rows
/// send 100,000 events per operation so that the fixed latencies of a run (the dispatcher's 20 ms batch delay, the
/// last partial batch) do not dominate a sustained rate.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(2)]
[IterationCount(10)]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: GlobalCleanup disposes everything.
public class WebhookDeliveryBenchmarks
#pragma warning restore CA1001
{
    private const int BatchedEvents = 100_000;
    private const int SingleEvents = 2_000;
    private const int Senders = 8;

    private WebApplication _receiver = null!;
    private Uri _url = null!;
    private IHost? _host;
    private IActivityRecorder _recorder = null!;
    private MeterListener? _listener;
    private long _delivered;
    private long _target;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HttpClient _client = null!;
    private byte[] _batchBody = null!;
    private byte[] _eventBody = null!;

    [GlobalSetup(Targets = [nameof(Emitter_BatchesOf100)])]
    public void SetupBatched() => Setup(maxBatchEvents: 100, endpoints: 1);

    [GlobalSetup(Targets = [nameof(Emitter_OneEventPerRequest_8Senders)])]
    public void SetupSingle() => Setup(maxBatchEvents: 1, endpoints: Senders);

    [GlobalSetup(Targets = [nameof(HttpClient_BatchesOf100), nameof(HttpClient_OneEventPerRequest_8Senders)])]
    public void SetupBaseline()
    {
        StartReceiver();
        _client = new HttpClient();
        var events = Enumerable.Range(0, 100).Select(i => SampleEvent(i, "activity_log.user.updated")).ToList();
        _batchBody = ActivityJsonSerializer.SerializePayload(events);
        _eventBody = ActivityJsonSerializer.SerializePayload([events[0]]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        if (_host is not null)
        {
            _host.StopAsync().GetAwaiter().GetResult();
            _host.Dispose();
        }

        _client?.Dispose();
        _receiver.StopAsync().GetAwaiter().GetResult();
        _receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = BatchedEvents, Description = "emitter, batches of 100, per event")]
    public Task Emitter_BatchesOf100() => RecordAndWaitAsync(BatchedEvents);

    [Benchmark(OperationsPerInvoke = SingleEvents, Description = "emitter, 1 event per request, 8 endpoints, per event")]
    public Task Emitter_OneEventPerRequest_8Senders() => RecordAndWaitAsync(SingleEvents);

    [Benchmark(OperationsPerInvoke = BatchedEvents, Description = "bare HttpClient, batches of 100, per event")]
    public async Task HttpClient_BatchesOf100()
    {
        for (int i = 0; i < BatchedEvents / 100; i++)
        {
            await PostAsync(_batchBody);
        }
    }

    [Benchmark(OperationsPerInvoke = SingleEvents, Description = "bare HttpClient, 1 event per request, 8 senders, per event")]
    public Task HttpClient_OneEventPerRequest_8Senders() =>
        Task.WhenAll(Enumerable.Range(0, Senders).Select(async _ =>
        {
            for (int i = 0; i < SingleEvents / Senders; i++)
            {
                await PostAsync(_eventBody);
            }
        }));

    private async Task PostAsync(byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _client.PostAsync(_url, content);
        response.EnsureSuccessStatusCode();
    }

    private async Task RecordAndWaitAsync(int count)
    {
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _delivered, 0);
        Volatile.Write(ref _target, count);
        for (int i = 0; i < count; i++)
        {
            var sample = SampleEvent(i, $"activity_log.bench{i % Senders}.updated");
            _recorder.Record(sample.Name, resource: sample.Resource, actor: sample.Actor, changes: [.. sample.Changes], accountId: "acme");
        }

        await _done.Task.WaitAsync(TimeSpan.FromMinutes(2));
    }

    private void Setup(int maxBatchEvents, int endpoints)
    {
        StartReceiver();
        _host = BenchmarkHost.Start(log =>
        {
            log.Configure(o => o.QueueCapacity = 1_000_000);
            log.AddWebhooks(o =>
            {
                o.AllowLoopback = true;
                o.InMemoryCapacity = 1_000_000;
                for (int i = 0; i < endpoints; i++)
                {
                    var endpoint = new WebhookEndpointOptions { Url = _url, Secret = WebhookReceiver.Secret, MaxBatchEvents = maxBatchEvents, MaxBatchDelay = TimeSpan.Zero };
                    if (endpoints > 1)
                    {
                        endpoint.Events.Add($"activity_log.bench{i}.*");
                    }

                    o.Endpoints[$"bench{i}"] = endpoint;
                }
            });
        });
        _recorder = _host.Services.GetRequiredService<IActivityRecorder>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ActivityLogDiagnostics.WebhooksMeterName && instrument.Name == "activitylog.webhooks.events.delivered")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (Interlocked.Add(ref _delivered, value) >= Volatile.Read(ref _target))
            {
                _done.TrySetResult();
            }
        });
        _listener.Start();
    }

    private void StartReceiver()
    {
        var (app, url) = WebhookReceiver.Start();
        _receiver = app;
        _url = new Uri(url);
    }

    /// <summary>About 430 bytes of JSON: the seed's shape with a few changed fields.</summary>
    private static ActivityLogEvent SampleEvent(int i, string name) => new()
    {
        Name = name,
        Description = "updated the user profile",
        Actor = ActivityActor.User(783, "Jane Doe"),
        Resource = new ActivityResource("user", 783 + (i % 1000), "Jane Doe"),
        Changes =
        [
            ActivityChange.Of("name", "Jane", "Jane Doe"),
            ActivityChange.Of("title", "Engineer", "Senior engineer"),
            ActivityChange.Of("department", "Platform", "Platform and infrastructure"),
            ActivityChange.Of("location", "Lisbon", "Porto"),
        ],
        Timestamp = DateTimeOffset.FromUnixTimeSeconds(1733739084),
    };
}

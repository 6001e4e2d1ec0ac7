using System.Collections.Concurrent;
using System.Text.Json;
using ActivityLog.Extensibility;
using ActivityLog.EntityFrameworkCore.PostgreSQL.Tests.Support;
using ActivityLog.Serialization;
using ActivityLog.Testing.Postgres;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Tests;

/// <summary>
/// A backlog in the PostgreSQL outbox drained by the webhooks package's real workers, with <c>UsePostgreSqlOutbox()</c>,
/// to a Kestrel receiver on 127.0.0.1: every event arrives, exactly once, and no batch is ever in flight twice at once.
/// </summary>
public sealed class OutboxDrainTests
{
    private const string Endpoint = "drain";
    private const int Backlog = 5_000;

    [Fact]
    public async Task A_backlog_drains_to_the_receiver_every_event_exactly_once()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "outbox_drain");
        await database.CreateTablesAsync<PgStoreContext>();
        await using var receiver = await Receiver.StartAsync();
        using var host = BuildHost(database, receiver.Url);
        var written = await OutboxStrategyTests.WriteAsync(host.Services, Backlog);
        var webhooks = host.Services.GetRequiredService<IActivityWebhooks>();
        (await webhooks.CountPendingAsync(Endpoint)).Should().Be(Backlog);

        await host.StartAsync();
        await receiver.WaitForAsync(Backlog);
        await WaitUntilAsync(async () => await webhooks.CountPendingAsync(Endpoint) == 0);
        await host.StopAsync();

        receiver.EventIds.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(written.Select(e => e.Id));
        receiver.Batches.Values.Sum().Should().Be(Backlog, "no batch (webhook-id) was sent twice");
        receiver.Batches.Values.Should().OnlyContain(n => n > 0 && n <= 100);
        receiver.ConcurrentDuplicates.Should().Be(0);
        (await database.ScalarAsync<long>("SELECT count(*) FROM activity_outbox_batches")).Should().Be(0);
    }

    [Fact]
    public async Task Two_instances_drain_one_backlog_without_sending_a_batch_twice_at_once()
    {
        await using var database = await PostgresDatabase.CreateAsync(PostgresServer.Main, "outbox_drain_shared");
        await database.CreateTablesAsync<PgStoreContext>();
        // A receiver that takes a moment per request, so that two instances' requests overlap.
        await using var receiver = await Receiver.StartAsync(TimeSpan.FromMilliseconds(2));
        using var first = BuildHost(database, receiver.Url);
        using var second = BuildHost(database, receiver.Url);
        var written = await OutboxStrategyTests.WriteAsync(first.Services, Backlog);

        await Task.WhenAll(first.StartAsync(), second.StartAsync());
        await receiver.WaitForAsync(Backlog);
        var webhooks = first.Services.GetRequiredService<IActivityWebhooks>();
        await WaitUntilAsync(async () => await webhooks.CountPendingAsync(Endpoint) == 0);
        await Task.WhenAll(first.StopAsync(), second.StopAsync());

        receiver.ConcurrentDuplicates.Should().Be(0, "a batch is leased to one worker at a time");
        // Leases (2 minutes) never ran out, so nothing was sent twice at all.
        receiver.EventIds.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(written.Select(e => e.Id));
        receiver.Batches.Values.Sum().Should().Be(Backlog, "no batch (webhook-id) was sent twice");
        receiver.Batches.Values.Should().OnlyContain(n => n > 0 && n <= 100);
    }

    private static IHost BuildHost(PostgresDatabase database, Uri url)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<PgStoreContext>(o => database.Configure(o));
        builder.Services.AddActivityLog()
            .AddEntityFrameworkStore<PgStoreContext>()
            .UsePostgreSqlBinaryCopy()
            .UsePostgreSqlOutbox()
            .AddWebhooks(o =>
            {
                o.AllowLoopback = true;
                o.Endpoints[Endpoint] = new WebhookEndpointOptions
                {
                    Url = url,
                    Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    Fields = ActivityJsonFields.Id,
                };
            });
        return builder.Build();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!await condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the outbox should be empty once everything was received");
            await Task.Delay(50);
        }
    }

    /// <summary>A Kestrel receiver on 127.0.0.1 that records every event id and batch (webhook-id) it receives.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<Guid> _eventIds = new();
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _target = int.MaxValue;
        private int _duplicates;

        private Receiver(WebApplication app, TimeSpan delay)
        {
            _app = app;
            app.MapPost("/hooks", async (HttpRequest request) =>
            {
                string id = request.Headers["webhook-id"].ToString();
                if (!_inFlight.TryAdd(id, 0))
                {
                    Interlocked.Increment(ref _duplicates);
                }

                try
                {
                    using var body = await JsonDocument.ParseAsync(request.Body);
                    var events = body.RootElement.GetProperty("events");
                    Batches.AddOrUpdate(id, events.GetArrayLength(), (_, n) => n + events.GetArrayLength());
                    foreach (var activityEvent in events.EnumerateArray())
                    {
                        _eventIds.Enqueue(activityEvent.GetProperty("id").GetGuid());
                    }

                    if (delay > TimeSpan.Zero)
                    {
                        await Task.Delay(delay);
                    }

                    if (_eventIds.Count >= Volatile.Read(ref _target))
                    {
                        _reached.TrySetResult();
                    }

                    return Results.NoContent();
                }
                finally
                {
                    _inFlight.TryRemove(id, out _);
                }
            });
        }

        public Uri Url { get; private set; } = null!;

        public IReadOnlyCollection<Guid> EventIds => _eventIds;

        /// <summary>Events received per webhook-id (summed if a batch came twice).</summary>
        public ConcurrentDictionary<string, int> Batches { get; } = new(StringComparer.Ordinal);

        /// <summary>Requests that arrived while another with the same webhook-id was still being answered.</summary>
        public int ConcurrentDuplicates => Volatile.Read(ref _duplicates);

        public static async Task<Receiver> StartAsync(TimeSpan delay = default)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var receiver = new Receiver(builder.Build(), delay);
            await receiver._app.StartAsync();
            receiver.Url = new Uri(receiver._app.Urls.Single() + "/hooks");
            return receiver;
        }

        public async Task WaitForAsync(int events)
        {
            Volatile.Write(ref _target, events);
            if (_eventIds.Count >= events)
            {
                return;
            }

            await _reached.Task.WaitAsync(TimeSpan.FromMinutes(2));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

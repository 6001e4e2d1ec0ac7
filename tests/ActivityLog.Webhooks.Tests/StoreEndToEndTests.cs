using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// Webhooks delivered from the EF Core store's outbox, on real SQLite files and a real PostgreSQL database: entries
/// written with the events, retried with the same webhook-id, and still there for the next process after a stop.
/// </summary>
public sealed class StoreEndToEndTests
{
    public static TheoryData<string> Providers => new() { "sqlite", "postgresql" };

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Deliveries_leave_from_the_store_s_outbox_and_survive_a_restart_with_the_same_webhook_id(string provider)
    {
        await using var database = await Database.CreateAsync(provider);
        await using var receiver = await WebhookReceiver.StartAsync();
        int calls = 0;
        receiver.Respond = _ => new ReceiverResponse(Interlocked.Increment(ref calls) == 1 ? 503 : 200);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        void Configure(ActivityWebhookOptions o) => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url, e => e.MaxBatchEvents = 50);
        void Store(IServiceCollection services) => services.AddActivityLog().AddEntityFrameworkStore(database.Configure, s => s.CreateSchemaOnStart = true);

        string firstId;
        await using (var first = WebhookTestHost.Create(Configure, time, Store))
        {
            using var retries = first.Collect("activitylog.webhooks.retries");
            // Recorded before the start: one transaction, so the worker's first claim takes all ten.
            for (int i = 1; i <= 10; i++)
            {
                first.Recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", i, "U"), accountId: "acme");
            }

            await first.RunAsync();
            firstId = (await receiver.NextAsync()).WebhookId;
            await WebhookTestHost.WaitAsync(retries, 1);
            (await first.Webhooks.CountPendingAsync("main")).Should().Be(10, "the failed batch waits in the database");
        }

        // A new process on the same database: the batch is still there, due after the schedule's 5 seconds.
        time.Advance(TimeSpan.FromSeconds(5));
        await using var second = WebhookTestHost.Create(Configure, time, Store);
        using var deliveries = second.Collect("activitylog.webhooks.deliveries");
        await second.RunAsync();
        var again = await receiver.NextAsync();
        await WebhookTestHost.WaitAsync(deliveries, 1);

        again.WebhookId.Should().Be(firstId);
        ActivityLog.ActivityJsonSerializer.DeserializePayload(again.Body).Should().HaveCount(10);
        (await second.Webhooks.CountPendingAsync("main")).Should().Be(0);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Dead_letters_in_the_store_are_listed_and_redelivered(string provider)
    {
        await using var database = await Database.CreateAsync(provider);
        await DeliveryTests.DeadLetterThenRedeliverAsync(422, s => s.AddActivityLog().AddEntityFrameworkStore(database.Configure, o => o.CreateSchemaOnStart = true));
    }

    [Fact]
    public async Task Two_instances_on_one_PostgreSQL_outbox_never_send_a_batch_concurrently_and_deliver_every_event_once()
    {
        await using var database = await Database.CreateAsync("postgresql");
        await using var receiver = await WebhookReceiver.StartAsync();
        var inFlight = new Dictionary<string, int>();
        var events = new List<string>();
        var overlaps = new List<string>();
        var gate = new Lock();
        receiver.OnArrival = request =>
        {
            lock (gate)
            {
                inFlight[request.WebhookId] = inFlight.GetValueOrDefault(request.WebhookId) + 1;
                if (inFlight[request.WebhookId] > 1)
                {
                    overlaps.Add(request.WebhookId);
                }

                events.AddRange(ActivityLog.ActivityJsonSerializer.DeserializePayload(request.Body).Select(e => e.Resource!.Value.Id!));
            }
        };
        // Simulated receiver latency, so that the two instances' claims overlap in time.
        receiver.Respond = request => new ReceiverResponse(200, Hold: Task.Delay(20).ContinueWith(_ =>
        {
            lock (gate)
            {
                inFlight[request.WebhookId]--;
            }
        }, TaskScheduler.Default));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        void Configure(ActivityWebhookOptions o) => o.Endpoints["main"] = WebhookTestHost.Endpoint(receiver.Url, e => e.MaxBatchEvents = 10);
        void Store(IServiceCollection services) => services.AddActivityLog().AddEntityFrameworkStore(database.Configure, s => s.CreateSchemaOnStart = true);
        await using var first = await WebhookTestHost.StartAsync(Configure, time, Store);
        await using var second = await WebhookTestHost.StartAsync(Configure, time, Store);
        using var firstDeliveries = first.Collect("activitylog.webhooks.events.delivered");
        using var secondDeliveries = second.Collect("activitylog.webhooks.events.delivered");

        for (int i = 0; i < 150; i++)
        {
            first.RecordUser(i);
            second.RecordUser(1000 + i);
        }

        await Task.WhenAll(first.FlushAsync(), second.FlushAsync());
        while (true)
        {
            // Each worker drains the shared outbox until it finds nothing, so no clock needs to move.
            var a = firstDeliveries.GetMeasurementSnapshot();
            var b = secondDeliveries.GetMeasurementSnapshot();
            if (a.Sum(m => m.Value) + b.Sum(m => m.Value) >= 300)
            {
                break;
            }

            await Task.WhenAny(firstDeliveries.WaitForMeasurementsAsync(a.Count + 1), secondDeliveries.WaitForMeasurementsAsync(b.Count + 1)).WaitAsync(TimeSpan.FromSeconds(60));
        }

        overlaps.Should().BeEmpty("a batch is leased to one instance at a time");
        events.Should().HaveCount(300).And.OnlyHaveUniqueItems();
        // One batch in flight per destination across processes (issue 13): which instance sends a given batch is
        // the database's choice; together they send every event once.
        (firstDeliveries.GetMeasurementSnapshot().Sum(m => m.Value) + secondDeliveries.GetMeasurementSnapshot().Sum(m => m.Value)).Should().Be(300);
    }

    /// <summary>A fresh SQLite file or PostgreSQL database.</summary>
    private sealed class Database : IAsyncDisposable
    {
        private readonly string? _folder;

        private Database(string provider, string connectionString, string? folder)
        {
            Provider = provider;
            ConnectionString = connectionString;
            _folder = folder;
        }

        public string Provider { get; }

        public string ConnectionString { get; }

        public static async Task<Database> CreateAsync(string provider)
        {
            if (provider == "sqlite")
            {
                string folder = Path.Combine(Path.GetTempPath(), "activitylog-tests", "webhooks-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(folder);
                return new Database(provider, new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "store.db"), Pooling = false }.ToString(), folder);
            }

            return new Database(provider, await ActivityLog.Testing.Postgres.PostgresServer.Main.CreateDatabaseAsync("webhooks"), null);
        }

        public void Configure(DbContextOptionsBuilder options)
        {
            if (Provider == "sqlite")
            {
                options.UseSqlite(ConnectionString);
            }
            else
            {
                options.UseNpgsql(ConnectionString);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_folder is null)
            {
                await ActivityLog.Testing.Postgres.PostgresServer.Main.DropDatabaseAsync(ConnectionString);
            }
            else
            {
                SqliteConnection.ClearAllPools();
                try
                {
                    Directory.Delete(_folder, recursive: true);
                }
                catch (IOException)
                {
                    // A file still held by a pooled handle: the OS temp cleaner removes it later.
                }
            }
        }
    }
}

using System.Diagnostics;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Webhooks.Tests.Durability;

/// <summary>
/// A real child process (this assembly's <see cref="DurabilityChild"/>) records and delivers under load, is killed
/// with SIGKILL mid-delivery, and a second process on the same SQLite file finishes the work: every stored event is
/// delivered, and an event delivered twice is delivered again only under the same <c>webhook-id</c>.
/// </summary>
public sealed class SigkillDurabilityTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_process_killed_mid_load_loses_no_stored_event_and_resends_only_with_the_same_webhook_id(string provider)
    {
        string folder = Path.Combine(Path.GetTempPath(), "activitylog-tests", "sigkill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string file = provider == "sqlite"
            ? $"Data Source={Path.Combine(folder, "store.db")}"
            : await ActivityLog.Testing.Postgres.PostgresServer.Main.CreateDatabaseAsync("sigkill");
        try
        {
            await RunAsync(provider, file);
        }
        finally
        {
            if (provider == "postgresql")
            {
                await ActivityLog.Testing.Postgres.PostgresServer.Main.DropDatabaseAsync(file);
            }
            else
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (IOException)
                {
                    // A file still held by a pooled handle: the OS temp cleaner removes it later.
                }
            }
        }
    }

    private static async Task RunAsync(string provider, string file)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var deliveriesOfEvent = new Dictionary<string, HashSet<string>>();
        var gate = new Lock();
        receiver.OnArrival = request =>
        {
            lock (gate)
            {
                foreach (var activity in ActivityLog.ActivityJsonSerializer.DeserializePayload(request.Body))
                {
                    string id = activity.Id.ToString();
                    if (!deliveriesOfEvent.TryGetValue(id, out var ids))
                    {
                        deliveriesOfEvent[id] = ids = [];
                    }

                    ids.Add(request.WebhookId);
                }
            }
        };
        // Latency keeps batches in flight, so the kill lands mid-delivery, and keeps delivery behind recording: with 30 ms
        // the worker (which now claims ahead) kept up with the child's commits of 20 and the kill found nothing undelivered.
        receiver.Respond = _ => new ReceiverResponse(200, Hold: Task.Delay(150));

        using (var recording = StartChild("record", provider, file, receiver.Url))
        {
            for (int received = 0; received < 5; received++)
            {
                await receiver.NextAsync();
            }

            recording.Kill(); // SIGKILL on Unix: no graceful stop, no drain
            await recording.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        var stored = await StoredEventIdsAsync(provider, file);
        int deliveredBeforeRestart;
        lock (gate)
        {
            deliveredBeforeRestart = stored.Count(deliveriesOfEvent.ContainsKey);
        }

        stored.Count.Should().BeGreaterThan(deliveredBeforeRestart, "the kill left stored events undelivered");
        using (var draining = StartChild("drain", provider, file, receiver.Url))
        {
            // Waits at most for the killed process's leases (10 seconds) to run out.
            while (true)
            {
                lock (gate)
                {
                    if (stored.All(deliveriesOfEvent.ContainsKey))
                    {
                        break;
                    }
                }

                await receiver.NextAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }

            draining.Kill();
            await draining.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        lock (gate)
        {
            deliveriesOfEvent.Keys.Should().BeSubsetOf(stored, "only stored events are sent");
            deliveriesOfEvent.Values.Should().OnlyContain(ids => ids.Count == 1, "a resent event travels under the webhook-id of its first attempt");
        }
    }

    private static Process StartChild(string mode, string provider, string file, Uri url)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(DurabilityChild).Assembly.Location);
        start.ArgumentList.Add(mode);
        start.ArgumentList.Add(provider);
        start.ArgumentList.Add(file);
        start.ArgumentList.Add(url.ToString());
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task<HashSet<string>> StoredEventIdsAsync(string provider, string file)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddActivityLog().AddEntityFrameworkStore(db => DurabilityChild.Use(db, provider, file));
        await using var container = services.BuildServiceProvider();
        var reader = container.GetRequiredService<IActivityLogReader>();
        var ids = new HashSet<string>();
        await foreach (var activity in reader.ReadAllAsync(new ActivityLogQuery("acme")))
        {
            ids.Add(activity.Id.ToString());
        }

        return ids;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ActivityLog.Webhooks.Tests.Durability.SubscriptionsDurabilityChild;

namespace ActivityLog.Webhooks.Tests.Durability;

/// <summary>
/// Issue 13: a SIGKILL mid-load with 100 tenant subscriptions loses nothing. A real child process creates 10 accounts ×
/// 10 subscriptions, records 1,000 events over the accounts and is killed with SIGKILL while deliveries are in flight; a
/// second process on the same database (and Data Protection key ring) finishes. Every stored event reaches every
/// subscription of its own account and no other, and a resent event travels under the <c>webhook-id</c> of its first
/// attempt at that subscription.
/// </summary>
public sealed class SigkillSubscriptionsTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_process_killed_mid_load_with_100_subscriptions_loses_nothing(string provider)
    {
        var folder = Directory.CreateTempSubdirectory("activitylog-sigkill-subs-");
        string keys = Directory.CreateDirectory(Path.Combine(folder.FullName, "keys")).FullName;
        string connection = provider == "sqlite"
            ? $"Data Source={Path.Combine(folder.FullName, "store.db")}"
            : await ActivityLog.Testing.Postgres.PostgresServer.Main.CreateDatabaseAsync("sigkillsubs");
        try
        {
            await RunAsync(provider, connection, keys);
        }
        finally
        {
            if (provider == "postgresql")
            {
                await ActivityLog.Testing.Postgres.PostgresServer.Main.DropDatabaseAsync(connection);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a pooled handle: the OS temp cleaner removes it later.
            }
        }
    }

    private static async Task RunAsync(string provider, string connection, string keys)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // (subscription path, the event's user id) → the webhook-ids it arrived under.
        var deliveries = new Dictionary<(string Path, int User), HashSet<string>>();
        var wrongAccount = new List<string>();
        var gate = new Lock();
        receiver.OnArrival = request =>
        {
            string account = request.Path.Split('/')[2];
            // The subscription payload is the seed's shape (no event id): each event of the child has its own resource id.
            using var json = JsonDocument.Parse(request.Body);
            lock (gate)
            {
                foreach (var activity in json.RootElement.GetProperty("events").EnumerateArray())
                {
                    int user = int.Parse(activity.GetProperty("resource").GetProperty("id").GetString()!, CultureInfo.InvariantCulture);
                    if (Account(user % Accounts) != account)
                    {
                        wrongAccount.Add($"user {user} at {request.Path}");
                    }

                    var key = (request.Path, user);
                    if (!deliveries.TryGetValue(key, out var ids))
                    {
                        deliveries[key] = ids = [];
                    }

                    ids.Add(request.WebhookId);
                }
            }
        };
        // Latency keeps batches in flight, so the kill lands mid-delivery and delivery stays behind recording.
        receiver.Respond = _ => new ReceiverResponse(200, Hold: Task.Delay(150));

        using (var recording = StartChild("record-subs", provider, connection, receiver.Url, keys))
        {
            for (int received = 0; received < 30; received++)
            {
                await receiver.NextAsync().WaitAsync(TimeSpan.FromSeconds(120));
            }

            recording.Kill(); // SIGKILL on Unix: no graceful stop, no drain
            await recording.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        var expected = (await StoredEventsAsync(provider, connection))
            .SelectMany(e => Enumerable.Range(0, PerAccount).Select(n => (PathOf(e.Account, n), e.User)))
            .ToHashSet();
        expected.Should().HaveCountGreaterThan(PerAccount * Accounts, "the child stored events before the kill");
        int deliveredBeforeRestart;
        lock (gate)
        {
            deliveredBeforeRestart = expected.Count(deliveries.ContainsKey);
        }

        expected.Count.Should().BeGreaterThan(deliveredBeforeRestart, "the kill left stored events undelivered to some subscription");
        using (var draining = StartChild("drain-subs", provider, connection, receiver.Url, keys))
        {
            // Waits at most for the killed process's leases (10 seconds) to run out, then for the backlog.
            while (true)
            {
                lock (gate)
                {
                    if (expected.All(deliveries.ContainsKey))
                    {
                        break;
                    }
                }

                if (!await ArrivesAsync(receiver))
                {
                    List<(string Path, int User)> missing;
                    lock (gate)
                    {
                        missing = [.. expected.Where(p => !deliveries.ContainsKey(p))];
                    }

                    Assert.Fail($"The draining process sent nothing for 30 s with {missing.Count} of {expected.Count} deliveries missing "
                        + $"({missing.Select(m => m.User).Distinct().Count()} event(s), {missing.Select(m => m.Path).Distinct().Count()} subscription(s), e.g. {string.Join(", ", missing.Take(3))}; received {deliveries.Count}, e.g. {string.Join(", ", deliveries.Keys.Take(3))}; wrong account {wrongAccount.Count}). "
                        + "The children wrote:\n" + string.Join('\n', ChildOutput.TakeLast(40)));
                }
            }

            draining.Kill();
            await draining.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        lock (gate)
        {
            wrongAccount.Should().BeEmpty("an account's events go only to its own subscriptions");
            deliveries.Keys.Should().BeSubsetOf(expected, "only stored events are sent, each to the subscriptions of its account");
            deliveries.Values.Should().OnlyContain(ids => ids.Count == 1, "a resent event travels under the webhook-id of its first attempt");
        }
    }

    private static async Task<bool> ArrivesAsync(WebhookReceiver receiver)
    {
        try
        {
            await receiver.NextAsync();
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static Process StartChild(string mode, string provider, string connection, Uri url, string keys)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { typeof(DurabilityChild).Assembly.Location, mode, provider, connection, url.ToString(), keys })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) => Output(mode, e.Data);
        process.BeginErrorReadLine();
        process.OutputDataReceived += (_, e) => Output(mode, e.Data);
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>What the children wrote, for the failure message of a test that timed out.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> ChildOutput = new();

    private static void Output(string mode, string? line)
    {
        if (line is not null)
        {
            ChildOutput.Enqueue(mode + ": " + line);
        }
    }

    /// <summary>The user events stored for every account (the webhook management activities are not streamed).</summary>
    private static async Task<List<(string Account, int User)>> StoredEventsAsync(string provider, string connection)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddActivityLog().AddEntityFrameworkStore(db => DurabilityChild.Use(db, provider, connection));
        await using var container = services.BuildServiceProvider();
        var reader = container.GetRequiredService<IActivityLogReader>();
        var stored = new List<(string, int)>();
        for (int a = 0; a < Accounts; a++)
        {
            await foreach (var activity in reader.ReadAllAsync(new ActivityLogQuery(Account(a))))
            {
                if (activity.Name.StartsWith("activity_log.user.", StringComparison.Ordinal))
                {
                    stored.Add((Account(a), int.Parse(activity.Resource!.Value.Id!, CultureInfo.InvariantCulture)));
                }
            }
        }

        return stored;
    }
}

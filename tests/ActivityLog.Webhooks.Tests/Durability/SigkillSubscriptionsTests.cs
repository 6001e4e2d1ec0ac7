using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ActivityLog.Webhooks.Tests.Support;
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
        await using var store = await DurabilityStore.CreateAsync(provider, "sigkillsubs");
        await using var receiver = await WebhookReceiver.StartAsync();
        var output = new ConcurrentQueue<string>();
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

        using (var recording = DurabilityProcess.Start(output, "record-subs", provider, store.ConnectionString, receiver.Url.ToString(), store.KeyFolder))
        {
            for (int received = 0; received < 30; received++)
            {
                await receiver.NextAsync().WaitAsync(TimeSpan.FromSeconds(120));
            }

            await recording.KillAsync();
        }

        var expected = (await StoredUsersAsync(store))
            .SelectMany(e => Enumerable.Range(0, PerAccount).Select(n => (PathOf(e.Account, n), e.User)))
            .ToHashSet();
        expected.Should().HaveCountGreaterThan(PerAccount * Accounts, "the child stored events before the kill");
        int deliveredBeforeRestart;
        lock (gate)
        {
            deliveredBeforeRestart = expected.Count(deliveries.ContainsKey);
        }

        expected.Count.Should().BeGreaterThan(deliveredBeforeRestart, "the kill left stored events undelivered to some subscription");
        using (var draining = DurabilityProcess.Start(output, "drain-subs", provider, store.ConnectionString, receiver.Url.ToString(), store.KeyFolder))
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

                if (!await receiver.TryNextAsync())
                {
                    List<(string Path, int User)> missing;
                    lock (gate)
                    {
                        missing = [.. expected.Where(p => !deliveries.ContainsKey(p))];
                    }

                    Assert.Fail($"The draining process sent nothing for 30 s with {missing.Count} of {expected.Count} deliveries missing "
                        + $"({missing.Select(m => m.User).Distinct().Count()} event(s), {missing.Select(m => m.Path).Distinct().Count()} subscription(s), e.g. {string.Join(", ", missing.Take(3))}; received {deliveries.Count}, e.g. {string.Join(", ", deliveries.Keys.Take(3))}; wrong account {wrongAccount.Count}). "
                        + "The children wrote:\n" + string.Join('\n', output.TakeLast(40)));
                }
            }

            await draining.KillAsync();
        }

        lock (gate)
        {
            wrongAccount.Should().BeEmpty("an account's events go only to its own subscriptions");
            deliveries.Keys.Should().BeSubsetOf(expected, "only stored events are sent, each to the subscriptions of its account");
            deliveries.Values.Should().OnlyContain(ids => ids.Count == 1, "a resent event travels under the webhook-id of its first attempt");
        }
    }

    /// <summary>The user events stored for every account (the webhook management activities are not streamed).</summary>
    private static async Task<List<(string Account, int User)>> StoredUsersAsync(DurabilityStore store)
    {
        var stored = new List<(string, int)>();
        for (int a = 0; a < Accounts; a++)
        {
            foreach (var activity in await store.ReadAsync(Account(a)))
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

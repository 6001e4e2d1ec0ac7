using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.Webhooks.Tests.Durability;

/// <summary>
/// The child process of <see cref="SigkillSubscriptionsTests"/>: <c>record-subs|drain-subs sqlite|postgresql
/// &lt;connection string&gt; &lt;receiver url&gt; &lt;Data Protection key folder&gt;</c>. <c>record-subs</c> creates
/// <see cref="Accounts"/> × <see cref="PerAccount"/> tenant subscriptions (each at its own path,
/// <c>/hooks/{account}/{n}</c>), records <see cref="Events"/> events spread over the accounts (committed every 20) and
/// keeps delivering; <c>drain-subs</c> only delivers. Both share the key folder, so the second process can sign with
/// the secrets the first one encrypted.
/// </summary>
internal static class SubscriptionsDurabilityChild
{
    public const int Accounts = 10;
    public const int PerAccount = 10;
    public const int Events = 1000;

    public static string Account(int index) => "tenant-" + index;

    public static string PathOf(string account, int n) => $"/hooks/{account}/{n}";

    public static async Task<int> RunAsync(string mode, string provider, string connectionString, Uri receiver, string keyFolder)
    {
        using var host = DurabilityChild.BuildHost(
            provider,
            connectionString,
            o =>
            {
                o.Subscriptions.AllowHttp = true;
                o.Subscriptions.AllowLoopback = true;
                o.Subscriptions.MaxBatchEvents = 25;
                o.Subscriptions.MaxBatchDelay = TimeSpan.Zero;
            },
            services => services.AddDataProtection().SetApplicationName("ActivityLog.Webhooks.Tests").PersistKeysToFileSystem(new DirectoryInfo(keyFolder)));
        await host.StartAsync();
        if (mode == "drain-subs")
        {
            await Console.Out.WriteLineAsync("started");
            await Task.Delay(Timeout.Infinite);
        }

        var subscriptions = host.Services.GetRequiredService<IActivityWebhookSubscriptions>();
        for (int a = 0; a < Accounts; a++)
        {
            using var admin = ActivityScope.Begin(ActivityActor.User(42, "John Doe"), accountId: Account(a));
            for (int n = 0; n < PerAccount; n++)
            {
                await subscriptions.CreateAsync(Account(a), new WebhookSubscriptionDraft
                {
                    Url = new Uri(receiver, PathOf(Account(a), n)),
                    Description = $"Stream {n}",
                    Events = { "activity_log.user.*" },
                });
            }
        }

        await Console.Out.WriteLineAsync("started");
        var recorder = host.Services.GetRequiredService<IActivityRecorder>();
        var dispatcher = host.Services.GetRequiredService<IActivityDispatcher>();
        for (int i = 0; i < Events; i++)
        {
            recorder.Record("activity_log.user.updated", resource: new ActivityResource("user", i, "U"), accountId: Account(i % Accounts));
            if (i % 20 == 19)
            {
                await dispatcher.FlushAsync();
            }
        }

        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}

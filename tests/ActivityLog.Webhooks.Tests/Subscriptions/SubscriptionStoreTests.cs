using System.Text;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Webhooks.Tests.Subscriptions.Support;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>
/// Settings → Webhooks on the EF Core store (SQLite, a real file): subscriptions outlive the process, a second
/// process sharing the database and the Data Protection key ring serves them, accounts stay apart, and no secret is
/// anywhere in the database files.
/// </summary>
public sealed class SubscriptionStoreTests
{
    [Fact]
    public async Task Subscriptions_live_in_the_hosts_database_encrypted_and_a_second_process_with_the_shared_key_ring_serves_them()
    {
        string folder = Directory.CreateTempSubdirectory("activitylog-subscriptions-").FullName;
        string connection = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "store.db"), Pooling = false }.ToString();
        var keys = Directory.CreateTempSubdirectory("activitylog-dp-");
        void Store(IServiceCollection services) =>
            services.AddActivityLog().AddEntityFrameworkStore(o => o.UseSqlite(connection), s => s.CreateSchemaOnStart = true);
        try
        {
            Guid id;
            string secret;
            string rotated;
            await using (var first = await SubscriptionTestHost.StartAsync(services: Store, keys: keys))
            {
                first.Store.GetType().Name.Should().StartWith("EntityFrameworkActivitySubscriptionStore", "the store's subscription store, not the in-memory one");
                using var _ = SubscriptionTestHost.AsJohnDoe();
                var created = await first.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("Logging", "https://127.0.0.1:9/services/T0PATH?token=Q1QUERY", "activity_log.user.*"));
                id = created.Subscription.Id;
                secret = created.Secret;
                rotated = (await first.Manager.RotateSecretAsync("acme", id))!.Secret;
            }

            await using (var second = await SubscriptionTestHost.StartAsync(services: Store, keys: keys))
            {
                var listed = (await second.Manager.ListAsync("acme")).Should().ContainSingle().Which;
                listed.Id.Should().Be(id);
                listed.Description.Should().Be("Logging");
                listed.CreatedBy.Should().Be("42");
                listed.PreviousSecretExpiresAt.Should().NotBeNull("the rotated-out secret still signs, and this process can read it");
                (await second.Manager.ListAsync("globex")).Should().BeEmpty();
                (await second.Manager.GetAsync("globex", id)).Should().BeNull();
                (await second.Manager.DeleteAsync("globex", id)).Should().BeFalse();
                var stored = await second.Store.FindAsync("acme", id);
                second.Protector.Unprotect(stored!.ProtectedSecrets, second.Time.GetUtcNow()).Select(s => s.Value).Should().Equal(rotated, secret);
            }

            SqliteConnection.ClearAllPools();
            byte[] database = [.. Directory.EnumerateFiles(folder).SelectMany(File.ReadAllBytes)];
            foreach (string value in new[] { secret, rotated, secret["whsec_".Length..], rotated["whsec_".Length..] })
            {
                Contains(database, value).Should().BeFalse("no secret is stored in the clear");
            }

            Contains(database, "T0PATH").Should().BeTrue("the URL itself is stored (the search finds what is there)");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            keys.Delete(recursive: true);
        }
    }

    private static bool Contains(byte[] haystack, string text) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0 || haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(text)) >= 0;
}

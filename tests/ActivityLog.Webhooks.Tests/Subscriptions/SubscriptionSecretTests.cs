using System.Collections;
using System.Security.Cryptography;
using ActivityLog.Serialization;
using ActivityLog.Webhooks.Subscriptions;
using ActivityLog.Webhooks.Tests.Subscriptions.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Testing;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>
/// Issue 13, item 1: secrets are shown once, encrypted at rest with Data Protection, never logged, never in the
/// activity log; a rotated-out secret signs beside the new one until the overlap ends.
/// </summary>
public sealed class SubscriptionSecretTests
{
    [Fact]
    public async Task During_the_overlap_both_secrets_sign_and_after_it_only_the_new_one()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft());
        created.Secret.Should().StartWith("whsec_");
        Convert.FromBase64String(created.Secret["whsec_".Length..]).Should().HaveCount(32);
        created.Subscription.PreviousSecretExpiresAt.Should().BeNull();
        var rotatedAt = host.Time.GetUtcNow();

        var rotated = await host.Manager.RotateSecretAsync("acme", created.Subscription.Id);

        rotated!.Secret.Should().StartWith("whsec_").And.NotBe(created.Secret);
        rotated.PreviousSecretExpiresAt.Should().Be(rotatedAt + TimeSpan.FromHours(24));
        rotated.Subscription.PreviousSecretExpiresAt.Should().Be(rotatedAt + TimeSpan.FromHours(24));
        Secrets(host, created.Subscription.Id).Should().Equal(rotated.Secret, created.Secret);

        host.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Secrets(host, created.Subscription.Id).Should().Equal(rotated.Secret, created.Secret);

        host.Time.Advance(TimeSpan.FromSeconds(1));
        Secrets(host, created.Subscription.Id).Should().Equal(rotated.Secret);
        (await host.Manager.GetAsync("acme", created.Subscription.Id))!.PreviousSecretExpiresAt.Should().BeNull("the overlap is over");
    }

    [Fact]
    public async Task Rotating_twice_within_the_overlap_keeps_every_unexpired_secret_and_the_configured_overlap()
    {
        await using var host = await SubscriptionTestHost.StartAsync(s => s.SecretRotationOverlap = TimeSpan.FromHours(1));
        var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft());
        var id = created.Subscription.Id;

        var second = await host.Manager.RotateSecretAsync("acme", id);
        host.Time.Advance(TimeSpan.FromMinutes(30));
        var third = await host.Manager.RotateSecretAsync("acme", id);

        Secrets(host, id).Should().Equal(third!.Secret, second!.Secret, created.Secret);
        host.Time.Advance(TimeSpan.FromMinutes(30));
        Secrets(host, id).Should().Equal(third.Secret, second.Secret);
        host.Time.Advance(TimeSpan.FromMinutes(30));
        Secrets(host, id).Should().Equal(third.Secret);
    }

    [Fact]
    public async Task With_no_overlap_the_old_secret_stops_at_once()
    {
        await using var host = await SubscriptionTestHost.StartAsync(s => s.SecretRotationOverlap = TimeSpan.Zero);
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft())).Subscription.Id;

        var rotated = await host.Manager.RotateSecretAsync("acme", id);

        Secrets(host, id).Should().Equal(rotated!.Secret);
    }

    [Fact]
    public async Task Secrets_are_encrypted_at_rest_and_another_key_ring_cannot_read_them_but_a_shared_one_can()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft());
        var rotated = await host.Manager.RotateSecretAsync("acme", created.Subscription.Id);
        var stored = await host.Store.FindAsync("acme", created.Subscription.Id);

        foreach (string secret in new[] { created.Secret, rotated!.Secret })
        {
            string key = secret["whsec_".Length..];
            stored!.ProtectedSecrets.Should().NotContain(secret).And.NotContain(key).And.NotContain(Convert.ToHexString(Convert.FromBase64String(key)));
            host.Keys.EnumerateFiles("*", SearchOption.AllDirectories).Select(f => File.ReadAllText(f.FullName)).Should().OnlyContain(text => !text.Contains(key), "the key ring holds keys, not secrets");
        }

        // A second process of the same app shares the key ring (the host's AddDataProtection configuration): it reads them.
        await using (var sibling = await SubscriptionTestHost.StartAsync(keys: host.Keys))
        {
            sibling.Protector.Unprotect(stored!.ProtectedSecrets, host.Time.GetUtcNow()).Select(s => s.Value).Should().Equal(rotated.Secret, created.Secret);
        }

        // An app with its own key ring cannot.
        await using var stranger = await SubscriptionTestHost.StartAsync();
        FluentActions.Invoking(() => stranger.Protector.Unprotect(stored!.ProtectedSecrets, host.Time.GetUtcNow())).Should().Throw<CryptographicException>();
    }

    [Fact]
    public async Task After_the_key_ring_lost_its_key_the_view_still_works_and_a_rotation_starts_afresh()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft())).Subscription.Id;
        var stored = await host.Store.FindAsync("acme", id);
        // As if the keys were lost: secrets protected by a key ring this app does not have.
        var foreign = DataProtectionProvider.Create(Directory.CreateTempSubdirectory("activitylog-foreign-"));
        string unreadable = new WebhookSecretProtector(foreign).Protect([new WebhookSecret(WebhookSecretProtector.NewSecret(), null)]);
        (await host.Store.UpdateAsync(stored! with { ProtectedSecrets = unreadable, Version = 2 }, 1)).Should().BeTrue();

        (await host.Manager.GetAsync("acme", id))!.PreviousSecretExpiresAt.Should().BeNull();
        var rotated = await host.Manager.RotateSecretAsync("acme", id);

        Secrets(host, id).Should().Equal(rotated!.Secret);
        host.Logs.GetSnapshot().Should().Contain(r => r.Id.Id == 4204 && r.Message.Contains(id.ToString()));
    }

    [Fact]
    public async Task No_secret_and_no_part_of_a_url_but_its_host_reaches_any_log_record_exception_or_activity()
    {
        await using var host = await SubscriptionTestHost.StartAsync(s => s.AllowHttp = true);
        const string PathSecret = "T0PATH7f1c";
        const string QuerySecret = "Q1QUERY9a2b";
        const string Password = "hunter2pw";
        var secrets = new List<string>();
        var exceptions = new List<Exception>();
        using (SubscriptionTestHost.AsJohnDoe())
        {
            // Subscribed to events the scenario never records, and the dead letter made while disabled: the engine
            // claims nothing the fixture means to claim (its own deliveries raced the fixture's claim).
            var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: $"https://127.0.0.1:9/services/{PathSecret}?token={QuerySecret}", events: "activity_log.user.*"));
            secrets.Add(created.Secret);
            var id = created.Subscription.Id;
            secrets.Add((await host.Manager.RotateSecretAsync("acme", id))!.Secret);
            await host.Manager.UpdateAsync("acme", id, SubscriptionTestHost.Draft("Renamed", $"http://localhost:9/other/{PathSecret}?token={QuerySecret}", "activity_log.user.*"));
            await host.Manager.DisableAsync("acme", id);
            string message = await OutboxFixtures.DeadLetterAsync(host, id);
            OutboxFixtures.AddPending(host, id, 3);
            await host.Manager.EnableAsync("acme", id, WebhookResumeMode.Now);
            await host.Manager.SendTestAsync("acme", id);
            await host.Manager.RedeliverAsync("acme", id, message);
            foreach (string bad in new[]
            {
                $"https://admin:{Password}@127.0.0.1/{PathSecret}?token={QuerySecret}",
                $"https://10.0.0.1/{PathSecret}?token={QuerySecret}",
                $"ftp://127.0.0.1/{PathSecret}?token={QuerySecret}",
                $"https://no-such-host.invalid/{PathSecret}?token={QuerySecret}",
            })
            {
                exceptions.Add((await FluentActions.Awaiting(() => host.Manager.UpdateAsync("acme", id, SubscriptionTestHost.Draft(url: bad)))
                    .Should().ThrowAsync<WebhookSubscriptionException>()).Which);
            }

            secrets.Add(created.Secret["whsec_".Length..]);
            (created.ToString() + created.Subscription).Should().NotContain(created.Secret);
            await host.Manager.DeleteAsync("acme", id);
        }

        var records = host.Logs.GetSnapshot();
        records.Select(r => r.Id.Id).Should().Contain([4201, 4202], "the scenario logged something to search");
        var texts = records.SelectMany(Texts).Concat(exceptions.Select(e => e.ToString()))
            .Concat((await host.ActivitiesAsync()).Select(e => ActivityJsonSerializer.Serialize(e, ActivityJsonFields.All)))
            .ToList();
        foreach (string text in texts)
        {
            foreach (string secret in secrets.Concat([PathSecret, QuerySecret, Password]))
            {
                text.Should().NotContain(secret);
            }
        }

        records.Should().Contain(r => r.Id.Id == 4201 && r.Message.Contains("host 127.0.0.1"), "the host is what the logs name");
    }

    private static List<string> Secrets(SubscriptionTestHost host, Guid id)
    {
        var stored = host.Store.FindAsync("acme", id).GetAwaiter().GetResult();
        return [.. host.Protector.Unprotect(stored!.ProtectedSecrets, host.Time.GetUtcNow()).Select(s => s.Value)];
    }

    /// <summary>Every text a log record carries: message, structured state, scopes and exception.</summary>
    private static IEnumerable<string> Texts(FakeLogRecord record)
    {
        yield return record.Message;
        if (record.StructuredState is { } state)
        {
            foreach (var pair in state)
            {
                yield return pair.Key + "=" + pair.Value;
            }
        }

        foreach (var scope in record.Scopes)
        {
            if (scope is IEnumerable items and not string)
            {
                foreach (var item in items)
                {
                    yield return item?.ToString() ?? "";
                }
            }

            yield return scope?.ToString() ?? "";
        }

        if (record.Exception is { } exception)
        {
            yield return exception.ToString();
        }
    }
}

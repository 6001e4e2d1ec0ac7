using System.Net;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Tests.Subscriptions.Support;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>
/// Issue 13, item 5, at save time: a URL typed by a stranger may not point at a special-purpose address, by literal
/// or by a name that resolves to one. The ranges are those of the one table (<see cref="SpecialAddresses"/>).
/// </summary>
public sealed class SubscriptionAddressTests
{
    public static TheoryData<string, string> Refused => new()
    {
        // host of the URL, what the refusal names
        { "10.0.0.1", "Private-Use" },
        { "172.16.5.4", "Private-Use" },
        { "192.168.1.1", "Private-Use" },
        { "169.254.169.254", "Link Local" },
        { "100.64.0.1", "Shared Address Space" },
        { "100.127.255.254", "Shared Address Space" },
        { "198.18.0.1", "Benchmarking" },
        { "198.19.255.255", "Benchmarking" },
        { "192.0.2.1", "Documentation" },
        { "198.51.100.7", "Documentation" },
        { "203.0.113.9", "Documentation" },
        { "0.0.0.0", "never a webhook target" },
        { "255.255.255.255", "Limited Broadcast" },
        { "224.0.0.251", "Multicast" },
        { "240.0.0.1", "Reserved" },
        { "192.0.0.170", "NAT64/DNS64" },
        { "[fc00::1]", "Unique-Local" },
        { "[fe80::1]", "Link-Local" },
        { "[2001:db8::1]", "Documentation" },
        { "[3fff::1]", "Documentation" },
        { "[::]", "Unspecified" },
        { "[ff02::1]", "Multicast" },
        { "[64:ff9b::7f00:1]", "IPv4-IPv6 Translat." }, // NAT64 of 127.0.0.1
        { "[64:ff9b::a00:1]", "IPv4-IPv6 Translat." }, // NAT64 of 10.0.0.1
        { "[64:ff9b::808:808]", "IPv4-IPv6 Translat." }, // NAT64 of a public address: refused too (issue 13)
        { "[64:ff9b:1::1]", "local use" },
        { "[::ffff:10.0.0.1]", "Private-Use" },
        { "[::ffff:169.254.169.254]", "Link Local" },
        { "[2002:a00:1::]", "Private-Use" }, // 6to4 of 10.0.0.1
        { "[2001:2::1]", "Benchmarking" },
        { "[2001::1]", "TEREDO" },
        { "[fec0::1]", "Site-local" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_literal_special_purpose_address_is_refused_even_with_loopback_allowed(string host, string range)
    {
        await using var app = await SubscriptionTestHost.StartAsync(s => s.AllowLoopback = true);

        var refusal = await RefusedAsync(app, $"https://{host}/hooks");

        refusal.Message.Should().Contain(range);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("[::1]")]
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("2130706433")] // 127.0.0.1 written as one number
    [InlineData("0x7f.1")]
    [InlineData("localhost")]
    [InlineData("LOCALHOST.")]
    [InlineData("api.localhost")]
    public async Task Loopback_is_refused_unless_allowed_and_allowed_when_it_is(string host)
    {
        await using (var strict = await SubscriptionTestHost.StartAsync(s => s.AllowLoopback = false))
        {
            (await RefusedAsync(strict, $"https://{host}:9/hooks")).Message.Should().Contain("loopback").And.Contain("AllowLoopback");
        }

        await using var relaxed = await SubscriptionTestHost.StartAsync(s => s.AllowLoopback = true);
        if (host.Contains("localhost", StringComparison.OrdinalIgnoreCase) && !(await Resolves(host)))
        {
            // Accepted by name; a resolver that does not know this spelling (*.localhost, a trailing dot, here through
            // /etc/hosts) refuses it as unresolvable, which is safe too.
            (await RefusedAsync(relaxed, $"https://{host}:9/hooks")).Message.Should().Contain("cannot be resolved");
            return;
        }

        (await relaxed.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: $"https://{host}:9/hooks"))).Subscription.Id.Should().NotBeEmpty();
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_by_its_resolved_address()
    {
        // This machine's own name resolves to this machine (127.0.x.x here, a private address on some hosts): the
        // refusal comes from DNS at save time, not from the name, which looks public.
        string name = Dns.GetHostName();
        var addresses = await Dns.GetHostAddressesAsync(name);
        addresses.Should().NotBeEmpty().And.OnlyContain(a => SpecialAddresses.Classify(a).Use != AddressUse.Public, "the test needs a name that resolves to a non-public address");
        await using var app = await SubscriptionTestHost.StartAsync(s => s.AllowLoopback = false);

        var refusal = await RefusedAsync(app, $"https://{name}/hooks");

        refusal.Message.Should().Contain($"{name.ToLowerInvariant()} resolves to").And.MatchRegex("loopback|private");
    }

    [Fact]
    public async Task The_hosts_private_network_allowances_do_not_widen_tenant_subscriptions()
    {
        await using var app = await SubscriptionTestHost.StartAsync(webhooks: o =>
        {
            o.AllowPrivateNetworks = true;
            o.AllowedNetworks.Add("10.0.0.0/8");
        });

        (await RefusedAsync(app, "https://10.1.2.3/hooks")).Message.Should().Contain("private");
        (await RefusedAsync(app, "https://169.254.169.254/latest/meta-data")).Message.Should().Contain("Link Local");
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_refused()
    {
        await using var app = await SubscriptionTestHost.StartAsync();

        (await RefusedAsync(app, "https://no-such-host.invalid/hooks")).Message.Should().Contain("no-such-host.invalid cannot be resolved");
    }

    [Fact]
    public async Task A_public_address_is_accepted()
    {
        await using var app = await SubscriptionTestHost.StartAsync(s => s.AllowLoopback = false);

        // Events that never happen, so that nothing is ever sent to this real public address.
        var created = await app.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: "https://93.184.215.14/hooks", events: "activity_log.never.happens"));
        var v6 = await app.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hooks", events: "activity_log.never.happens"));

        created.Subscription.Url.Host.Should().Be("93.184.215.14");
        v6.Subscription.Url.HostNameType.Should().Be(UriHostNameType.IPv6);
    }

    [Fact]
    public async Task An_update_to_a_refused_address_is_refused_and_keeps_the_subscription_as_it_was()
    {
        await using var app = await SubscriptionTestHost.StartAsync();
        var created = await app.Manager.CreateAsync("acme", SubscriptionTestHost.Draft());

        var refusal = await FluentActions.Awaiting(() => app.Manager.UpdateAsync("acme", created.Subscription.Id, SubscriptionTestHost.Draft(url: "https://169.254.169.254/")))
            .Should().ThrowAsync<WebhookSubscriptionException>();

        refusal.Which.Field.Should().Be("Url");
        (await app.Manager.GetAsync("acme", created.Subscription.Id))!.Url.Should().Be(created.Subscription.Url);
    }

    private static async Task<bool> Resolves(string name)
    {
        try
        {
            return (await Dns.GetHostAddressesAsync(name)).Length > 0;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static async Task<WebhookSubscriptionException> RefusedAsync(SubscriptionTestHost app, string url)
    {
        var refusal = (await FluentActions.Awaiting(() => app.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(url: url))).Should().ThrowAsync<WebhookSubscriptionException>()).Which;
        refusal.Field.Should().Be("Url");
        (await app.Manager.ListAsync("acme")).Should().BeEmpty();
        return refusal;
    }
}

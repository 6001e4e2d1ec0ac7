using System.Net;
using ActivityLog.Webhooks.Internal;
using ActivityLog.Webhooks.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// The SSRF rules (issue 11, item 5): every target below is judged as documented in the package README, at validation
/// (the URL's literal host) and with the same table at connect time. Nothing here connects to a non-loopback address:
/// the table is checked by classification, and only targets that reach loopback are actually sent to.
/// </summary>
public sealed class NetworkGuardTests
{
    /// <summary>What the README promises for a target.</summary>
    public enum Verdict
    {
        /// <summary>Allowed with no option.</summary>
        Public,

        /// <summary>Allowed only with AllowLoopback (or an AllowedNetworks entry).</summary>
        Loopback,

        /// <summary>Allowed only with AllowPrivateNetworks (or an AllowedNetworks entry).</summary>
        Private,

        /// <summary>Refused whatever the options say.</summary>
        Refused,
    }

    public static TheoryData<string, Verdict> Targets => new()
    {
        // Unspecified: reaches this host's listeners, so refused always.
        { "http://0.0.0.0/hooks", Verdict.Refused },
        { "http://0/hooks", Verdict.Refused },
        { "http://0.1.2.3/hooks", Verdict.Refused },
        { "http://[::]/hooks", Verdict.Refused },
        { "http://[::ffff:0.0.0.0]/hooks", Verdict.Refused },
        // Loopback, in its spellings.
        { "http://127.0.0.1/hooks", Verdict.Loopback },
        { "http://127.8.9.10/hooks", Verdict.Loopback },
        { "http://2130706433/hooks", Verdict.Loopback },
        { "http://0x7f000001/hooks", Verdict.Loopback },
        { "http://127.1/hooks", Verdict.Loopback },
        { "http://[::1]/hooks", Verdict.Loopback },
        { "http://[::ffff:127.0.0.1]/hooks", Verdict.Loopback },
        { "http://[::127.0.0.1]/hooks", Verdict.Loopback },
        { "http://localhost/hooks", Verdict.Loopback },
        { "http://LOCALHOST./hooks", Verdict.Loopback },
        { "http://api.localhost/hooks", Verdict.Loopback },
        // Private, shared and link-local.
        { "http://10.1.2.3/hooks", Verdict.Private },
        { "http://172.16.0.1/hooks", Verdict.Private },
        { "http://172.31.255.254/hooks", Verdict.Private },
        { "http://192.168.1.10/hooks", Verdict.Private },
        { "http://100.64.0.1/hooks", Verdict.Private },
        { "http://100.127.255.254/hooks", Verdict.Private },
        { "http://169.254.169.254/latest", Verdict.Private },
        { "http://[fe80::1]/hooks", Verdict.Private },
        { "http://[fc00::1]/hooks", Verdict.Private },
        { "http://[fd12:3456::1]/hooks", Verdict.Private },
        { "http://[::ffff:10.0.0.1]/hooks", Verdict.Private },
        { "http://[::ffff:169.254.169.254]/hooks", Verdict.Private },
        { "http://[::192.168.0.1]/hooks", Verdict.Private },
        // Special-purpose IPv4: refused always.
        { "http://192.0.0.1/hooks", Verdict.Refused },
        { "http://192.0.0.9/hooks", Verdict.Refused },
        { "http://192.0.0.171/hooks", Verdict.Refused },
        { "http://192.0.2.1/hooks", Verdict.Refused },
        { "http://198.51.100.7/hooks", Verdict.Refused },
        { "http://203.0.113.9/hooks", Verdict.Refused },
        { "http://198.18.0.1/hooks", Verdict.Refused },
        { "http://198.19.255.254/hooks", Verdict.Refused },
        { "http://192.88.99.1/hooks", Verdict.Refused },
        { "http://192.31.196.1/hooks", Verdict.Refused },
        { "http://192.52.193.1/hooks", Verdict.Refused },
        { "http://192.175.48.1/hooks", Verdict.Refused },
        { "http://240.0.0.1/hooks", Verdict.Refused },
        { "http://255.255.255.255/hooks", Verdict.Refused },
        { "http://224.0.0.1/hooks", Verdict.Refused },
        { "http://239.255.255.250/hooks", Verdict.Refused },
        { "http://[::ffff:192.0.2.1]/hooks", Verdict.Refused },
        { "http://[::ffff:255.255.255.255]/hooks", Verdict.Refused },
        // Special-purpose IPv6: refused always.
        { "http://[2001:db8::1]/hooks", Verdict.Refused },
        { "http://[3fff::1]/hooks", Verdict.Refused },
        { "http://[2001::1]/hooks", Verdict.Refused },
        { "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks", Verdict.Refused },
        { "http://[2001:2::1]/hooks", Verdict.Refused },
        { "http://[2001:20::1]/hooks", Verdict.Refused },
        { "http://[100::1]/hooks", Verdict.Refused },
        { "http://[5f00::1]/hooks", Verdict.Refused },
        { "http://[ff02::1]/hooks", Verdict.Refused },
        { "http://[fec0::1]/hooks", Verdict.Refused },
        { "http://[64:ff9b:1::a00:1]/hooks", Verdict.Refused },
        { "http://[4000::1]/hooks", Verdict.Refused },
        // NAT64 is refused whatever it embeds (issue 13); 6to4 carries an IPv4 address a relay connects to: refused
        // unless that address is public.
        { "http://[64:ff9b::7f00:1]/hooks", Verdict.Refused },
        { "http://[64:ff9b::a00:1]/hooks", Verdict.Refused },
        { "http://[64:ff9b::a9fe:a9fe]/hooks", Verdict.Refused },
        { "http://[64:ff9b::808:808]/hooks", Verdict.Refused },
        { "http://[2002:7f00:1::1]/hooks", Verdict.Refused },
        { "http://[2002:c0a8:101::1]/hooks", Verdict.Refused },
        { "http://[2002:a9fe:a9fe::1]/hooks", Verdict.Refused },
        { "http://[2002:808:808::1]/hooks", Verdict.Public },
        // Public.
        { "https://8.8.8.8/hooks", Verdict.Public },
        { "https://1.1.1.1/hooks", Verdict.Public },
        { "https://100.128.0.1/hooks", Verdict.Public },
        { "https://172.32.0.1/hooks", Verdict.Public },
        { "https://[2606:4700:4700::1111]/hooks", Verdict.Public },
        { "https://[::ffff:8.8.8.8]/hooks", Verdict.Public },
        { "https://hooks.example.com/services/T0/B0/x", Verdict.Public },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Each_target_is_refused_or_allowed_as_documented(string target, Verdict verdict)
    {
        var url = new Uri(target);
        var none = new NetworkGuard(new ActivityWebhookOptions());
        var loopback = new NetworkGuard(new ActivityWebhookOptions { AllowLoopback = true });
        var privateNetworks = new NetworkGuard(new ActivityWebhookOptions { AllowPrivateNetworks = true });
        var everything = new ActivityWebhookOptions { AllowLoopback = true, AllowPrivateNetworks = true };
        everything.AllowedNetworks.Add("0.0.0.0/0");
        everything.AllowedNetworks.Add("::/0");
        var all = new NetworkGuard(everything);

        var outcome = (
            None: none.RefuseHost(url) is null,
            Loopback: loopback.RefuseHost(url) is null,
            Private: privateNetworks.RefuseHost(url) is null,
            All: all.RefuseHost(url) is null);

        var expected = verdict switch
        {
            Verdict.Public => (true, true, true, true),
            Verdict.Loopback => (false, true, false, true),
            Verdict.Private => (false, false, true, true),
            _ => (false, false, false, false),
        };
        outcome.Should().Be(expected, $"{target} is documented as {verdict} (allowed with: no option, AllowLoopback, AllowPrivateNetworks, everything)");

        if (IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var address))
        {
            // The connect-time check judges resolved addresses with the same table.
            (none.Refuse(address) is null, loopback.Refuse(address) is null, privateNetworks.Refuse(address) is null, all.Refuse(address) is null)
                .Should().Be(expected, $"the resolved address {address} is judged like the literal");
        }
    }

    [Fact]
    public void The_table_covers_at_least_forty_targets() => Targets.Count.Should().BeGreaterThanOrEqualTo(40);

    [Theory]
    [InlineData("http://0.0.0.0:{0}/hooks")]
    [InlineData("http://0:{0}/hooks")]
    [InlineData("http://[::ffff:0.0.0.0]:{0}/hooks")]
    public async Task An_unspecified_address_is_refused_at_connect_time_even_with_every_allowance(string pattern)
    {
        // 0.0.0.0 connects to this host's loopback listeners: the receiver below would answer if the connection were made.
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = WebhookTestHost.Build(o =>
        {
            o.AllowLoopback = true;
            o.AllowPrivateNetworks = true;
        }, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ActivityWebhookOptions.HttpClientName);
        var url = new Uri(string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, receiver.Port));

        var send = () => client.PostAsync(url, new StringContent("{}"));

        (await send.Should().ThrowAsync<HttpRequestException>()).Which.Message.Should().Contain("never a webhook target");
        receiver.Requests.Should().BeEmpty("the connection was refused before it was made");
    }

    [Fact]
    public async Task An_unspecified_address_fails_validation_at_start_even_with_every_allowance()
    {
        using var host = WebhookTestHost.Build(o =>
        {
            o.AllowPrivateNetworks = true;
            o.AllowedNetworks.Add("0.0.0.0/0");
            o.Endpoints["main"] = WebhookTestHost.Endpoint(new Uri("http://0.0.0.0:8080/hooks"));
        }, new FakeTimeProvider(DateTimeOffset.UtcNow));

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>())
            .Which.Message.Should().Contain("ActivityLog:Webhooks:Endpoints:main:Url is refused").And.Contain("never a webhook target");
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_at_connect_time_without_AllowLoopback()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = WebhookTestHost.Build(o =>
        {
            o.AllowLoopback = false;
            o.AllowPrivateNetworks = true;
        }, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ActivityWebhookOptions.HttpClientName);

        var send = () => client.PostAsync(new Uri($"http://localhost:{receiver.Port}/hooks"), new StringContent("{}"));

        (await send.Should().ThrowAsync<HttpRequestException>()).Which.Message.Should().Contain("loopback");
        receiver.Requests.Should().BeEmpty();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ActivityLog.Webhooks.Internal;

/// <summary>What a webhook target address is, for the network rules.</summary>
internal enum AddressUse
{
    /// <summary>A public unicast address: always allowed.</summary>
    Public,

    /// <summary>Loopback: allowed only with <see cref="ActivityWebhookOptions.AllowLoopback"/> (or <see cref="ActivityWebhookOptions.AllowedNetworks"/>).</summary>
    Loopback,

    /// <summary>Private, shared or link-local: allowed only with <see cref="ActivityWebhookOptions.AllowPrivateNetworks"/> (or <see cref="ActivityWebhookOptions.AllowedNetworks"/>).</summary>
    Private,

    /// <summary>Never a webhook target, whatever the options say (unspecified, broadcast, multicast, documentation, reserved…).</summary>
    Refused,
}

/// <summary>
/// The one table of special-purpose address ranges the webhook network rules use, at validation (literal addresses in
/// a URL) and at connect time (every resolved address). It mirrors the IANA IPv4 Special-Purpose Address Registry and
/// the IANA IPv6 Special-Purpose Address Registry (iana.org/assignments/iana-ipv4-special-registry and
/// iana-ipv6-special-registry, as of 2025), plus the multicast, reserved and "Reserved by IETF" blocks of the IANA
/// IPv4 and IPv6 Address Space registries. The longest matching prefix decides.
/// </summary>
internal static class SpecialAddresses
{
    /// <summary>One entry: a prefix, what it is used for, its registry name, and how an embedded IPv4 address is read.</summary>
    internal sealed record Range(IPNetwork Network, AddressUse Use, string Name, Embedding Embedded = Embedding.None);

    /// <summary>Where a range carries an IPv4 address that decides instead of the range itself.</summary>
    internal enum Embedding
    {
        /// <summary>No embedded address: the range's own use decides.</summary>
        None,

        /// <summary>The last 32 bits are an IPv4 address the host connects to itself (mapped, compatible): classified as that address.</summary>
        Last32,

        /// <summary>
        /// Bits 16 to 47 are the IPv4 address a 6to4 relay connects to: allowed when that address is public, refused
        /// always otherwise (the host's loopback or private allowances do not extend to a relay's).
        /// </summary>
        SixToFour,
    }

    // Registry rows. "Refused" entries are never allowed: an unspecified or broadcast address reaches this host's
    // listeners (0.0.0.0 and [::] connect to loopback on Linux), the others are never a legitimate receiver.
    internal static readonly Range[] Table =
    [
        // IANA IPv4 Special-Purpose Address Registry
        new(IPNetwork.Parse("0.0.0.0/8"), AddressUse.Refused, "\"This network\" (RFC 791); 0.0.0.0 reaches loopback"),
        new(IPNetwork.Parse("0.0.0.0/32"), AddressUse.Refused, "\"This host on this network\" (RFC 1122)"),
        new(IPNetwork.Parse("10.0.0.0/8"), AddressUse.Private, "Private-Use (RFC 1918)"),
        new(IPNetwork.Parse("100.64.0.0/10"), AddressUse.Private, "Shared Address Space (RFC 6598)"),
        new(IPNetwork.Parse("127.0.0.0/8"), AddressUse.Loopback, "Loopback (RFC 1122)"),
        new(IPNetwork.Parse("169.254.0.0/16"), AddressUse.Private, "Link Local (RFC 3927)"),
        new(IPNetwork.Parse("172.16.0.0/12"), AddressUse.Private, "Private-Use (RFC 1918)"),
        // The whole /24 is refused, including its globally reachable PCP and TURN anycast addresses: never a receiver.
        new(IPNetwork.Parse("192.0.0.0/24"), AddressUse.Refused, "IETF Protocol Assignments (RFC 6890)"),
        new(IPNetwork.Parse("192.0.0.0/29"), AddressUse.Refused, "IPv4 Service Continuity Prefix (RFC 7335)"),
        new(IPNetwork.Parse("192.0.0.8/32"), AddressUse.Refused, "IPv4 dummy address (RFC 7600)"),
        new(IPNetwork.Parse("192.0.0.9/32"), AddressUse.Refused, "Port Control Protocol Anycast (RFC 7723)"),
        new(IPNetwork.Parse("192.0.0.10/32"), AddressUse.Refused, "Traversal Using Relays around NAT Anycast (RFC 8155)"),
        new(IPNetwork.Parse("192.0.0.170/31"), AddressUse.Refused, "NAT64/DNS64 Discovery (RFC 7050)"),
        new(IPNetwork.Parse("192.0.2.0/24"), AddressUse.Refused, "Documentation (TEST-NET-1) (RFC 5737)"),
        new(IPNetwork.Parse("192.31.196.0/24"), AddressUse.Refused, "AS112-v4 (RFC 7535)"),
        new(IPNetwork.Parse("192.52.193.0/24"), AddressUse.Refused, "AMT (RFC 7450)"),
        new(IPNetwork.Parse("192.88.99.0/24"), AddressUse.Refused, "Deprecated (6to4 Relay Anycast) (RFC 7526)"),
        new(IPNetwork.Parse("192.168.0.0/16"), AddressUse.Private, "Private-Use (RFC 1918)"),
        new(IPNetwork.Parse("192.175.48.0/24"), AddressUse.Refused, "Direct Delegation AS112 Service (RFC 7534)"),
        new(IPNetwork.Parse("198.18.0.0/15"), AddressUse.Refused, "Benchmarking (RFC 2544)"),
        new(IPNetwork.Parse("198.51.100.0/24"), AddressUse.Refused, "Documentation (TEST-NET-2) (RFC 5737)"),
        new(IPNetwork.Parse("203.0.113.0/24"), AddressUse.Refused, "Documentation (TEST-NET-3) (RFC 5737)"),
        new(IPNetwork.Parse("240.0.0.0/4"), AddressUse.Refused, "Reserved (RFC 1112)"),
        new(IPNetwork.Parse("255.255.255.255/32"), AddressUse.Refused, "Limited Broadcast (RFC 919)"),
        // IANA IPv4 Multicast Address Space Registry
        new(IPNetwork.Parse("224.0.0.0/4"), AddressUse.Refused, "Multicast (RFC 5771)"),
        // IANA IPv4 Address Space Registry: everything else is unicast.
        new(IPNetwork.Parse("0.0.0.0/0"), AddressUse.Public, "IPv4 unicast"),

        // IANA IPv6 Special-Purpose Address Registry
        new(IPNetwork.Parse("::1/128"), AddressUse.Loopback, "Loopback Address (RFC 4291)"),
        new(IPNetwork.Parse("::/128"), AddressUse.Refused, "Unspecified Address (RFC 4291); [::] reaches loopback"),
        new(IPNetwork.Parse("::ffff:0:0/96"), AddressUse.Public, "IPv4-mapped Address (RFC 4291)", Embedding.Last32),
        // Refused whatever IPv4 address it embeds, as issue 13 asks: a URL typed by a stranger has no reason to name
        // a translator, and what the translator reaches from inside the host's network is not for us to judge.
        new(IPNetwork.Parse("64:ff9b::/96"), AddressUse.Refused, "IPv4-IPv6 Translat. (RFC 6052)"),
        new(IPNetwork.Parse("64:ff9b:1::/48"), AddressUse.Refused, "IPv4-IPv6 Translat., local use (RFC 8215)"),
        new(IPNetwork.Parse("100::/64"), AddressUse.Refused, "Discard-Only Address Block (RFC 6666)"),
        new(IPNetwork.Parse("100:0:0:1::/64"), AddressUse.Refused, "Dummy IPv6 Prefix (RFC 9780)"),
        new(IPNetwork.Parse("2001::/23"), AddressUse.Refused, "IETF Protocol Assignments (RFC 2928)"),
        new(IPNetwork.Parse("2001::/32"), AddressUse.Refused, "TEREDO (RFC 4380); its embedded IPv4 is obfuscated"),
        new(IPNetwork.Parse("2001:1::1/128"), AddressUse.Refused, "Port Control Protocol Anycast (RFC 7723)"),
        new(IPNetwork.Parse("2001:1::2/128"), AddressUse.Refused, "Traversal Using Relays around NAT Anycast (RFC 8155)"),
        new(IPNetwork.Parse("2001:1::3/128"), AddressUse.Refused, "DNS-SD Service Registration Protocol Anycast (RFC 9665)"),
        new(IPNetwork.Parse("2001:2::/48"), AddressUse.Refused, "Benchmarking (RFC 5180)"),
        new(IPNetwork.Parse("2001:3::/32"), AddressUse.Refused, "AMT (RFC 7450)"),
        new(IPNetwork.Parse("2001:4:112::/48"), AddressUse.Refused, "AS112-v6 (RFC 7535)"),
        new(IPNetwork.Parse("2001:10::/28"), AddressUse.Refused, "Deprecated (previously ORCHID) (RFC 4843)"),
        new(IPNetwork.Parse("2001:20::/28"), AddressUse.Refused, "ORCHIDv2 (RFC 7343)"),
        new(IPNetwork.Parse("2001:30::/28"), AddressUse.Refused, "Drone Remote ID Protocol Entity Tags (DETs) Prefix (RFC 9374)"),
        new(IPNetwork.Parse("2001:db8::/32"), AddressUse.Refused, "Documentation (RFC 3849)"),
        new(IPNetwork.Parse("2002::/16"), AddressUse.Public, "6to4 (RFC 3056)", Embedding.SixToFour),
        new(IPNetwork.Parse("2620:4f:8000::/48"), AddressUse.Refused, "Direct Delegation AS112 Service (RFC 7534)"),
        new(IPNetwork.Parse("3fff::/20"), AddressUse.Refused, "Documentation (RFC 9637)"),
        new(IPNetwork.Parse("5f00::/16"), AddressUse.Refused, "Segment Routing (SRv6) SIDs (RFC 9602)"),
        new(IPNetwork.Parse("fc00::/7"), AddressUse.Private, "Unique-Local (RFC 4193)"),
        new(IPNetwork.Parse("fe80::/10"), AddressUse.Private, "Link-Local Unicast (RFC 4291)"),
        // IANA IPv6 Address Space Registry
        new(IPNetwork.Parse("::/96"), AddressUse.Public, "IPv4-compatible Address, deprecated (RFC 4291)", Embedding.Last32),
        new(IPNetwork.Parse("fec0::/10"), AddressUse.Refused, "Site-local, deprecated (RFC 3879)"),
        new(IPNetwork.Parse("ff00::/8"), AddressUse.Refused, "Multicast (RFC 4291)"),
        new(IPNetwork.Parse("2000::/3"), AddressUse.Public, "Global Unicast (RFC 4291)"),
        new(IPNetwork.Parse("::/0"), AddressUse.Refused, "Reserved by IETF (RFC 4291)"),
    ];

    // Longest prefix first, so that the first match is the most specific entry.
    private static readonly Range[] ByPrefix = [.. Table.OrderByDescending(r => r.Network.PrefixLength)];

    /// <summary>Classifies an address, reading an embedded IPv4 address where the range carries one.</summary>
    /// <returns>The use, and the entry that decided it.</returns>
    public static (AddressUse Use, Range Range) Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes()); // the zone does not change what the address is
        }

        var range = Match(address);
        if (range.Embedded == Embedding.None)
        {
            return (range.Use, range);
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        var embedded = new IPAddress(range.Embedded == Embedding.SixToFour ? bytes.Slice(2, 4) : bytes.Slice(12, 4));
        var inner = Match(embedded);
        if (range.Embedded == Embedding.Last32)
        {
            return (inner.Use, inner);
        }

        return (inner.Use == AddressUse.Public ? AddressUse.Public : AddressUse.Refused, inner.Use == AddressUse.Public ? range : inner);
    }

    private static Range Match(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        foreach (var range in ByPrefix)
        {
            if (range.Network.BaseAddress.AddressFamily == address.AddressFamily && Contains(range.Network, bytes[..length]))
            {
                return range;
            }
        }

        throw new UnreachableException("The table ends with 0.0.0.0/0 and ::/0.");
    }

    /// <summary>A plain prefix comparison: <see cref="IPNetwork.Contains"/> answers false for every IPv4-mapped address.</summary>
    private static bool Contains(IPNetwork network, ReadOnlySpan<byte> address)
    {
        Span<byte> prefix = stackalloc byte[16];
        network.BaseAddress.TryWriteBytes(prefix, out _);
        int bits = network.PrefixLength;
        int whole = bits / 8;
        if (!address[..whole].SequenceEqual(prefix[..whole]))
        {
            return false;
        }

        int rest = bits % 8;
        return rest == 0 || ((address[whole] ^ prefix[whole]) & (byte)(0xFF << (8 - rest))) == 0;
    }
}

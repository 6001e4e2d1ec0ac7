using System.Net;
using System.Net.Sockets;

namespace ActivityLog.Webhooks.Internal;

/// <summary>
/// Refuses loopback, private and link-local targets unless the host allows them: checked on the URL at start, and on
/// the resolved address of every connection (so a public name that resolves to a private address is refused too).
/// </summary>
internal sealed class NetworkGuard
{
    private static readonly IPNetwork[] PrivateNetworks =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    private readonly bool _allowLoopback;
    private readonly bool _allowPrivate;
    private readonly IPNetwork[] _allowed;

    public NetworkGuard(ActivityWebhookOptions options)
    {
        _allowLoopback = options.AllowLoopback;
        _allowPrivate = options.AllowPrivateNetworks;
        // A malformed entry is skipped (the validator reports it) rather than read as default(IPNetwork).
        _allowed = [.. options.AllowedNetworks.Select(n => IPNetwork.TryParse(n, out var network) ? network : (IPNetwork?)null).OfType<IPNetwork>()];
    }

    /// <summary>Why a connection to the address is refused, or <see langword="null"/>.</summary>
    public string? Refuse(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (_allowed.Any(n => n.Contains(address)))
        {
            return null;
        }

        if (IPAddress.IsLoopback(address))
        {
            return _allowLoopback ? null : "is a loopback address (set AllowLoopback to allow it)";
        }

        if (PrivateNetworks.Any(n => n.Contains(address)))
        {
            return _allowPrivate ? null : "is a private, link-local or reserved address (set AllowPrivateNetworks or AllowedNetworks to allow it)";
        }

        return null;
    }

    /// <summary>Why a URL's host is refused, judged without DNS (literal addresses and <c>localhost</c>), or <see langword="null"/>.</summary>
    public string? RefuseHost(Uri url)
    {
        string host = url.IdnHost;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return _allowLoopback ? null : "is a loopback address (set AllowLoopback to allow it)";
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var address) ? Refuse(address) : null;
    }

    /// <summary>The connect callback of the named client's handler: resolves, checks every address, connects.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        IPAddress[] addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        foreach (var address in addresses)
        {
            if (Refuse(address) is { } reason)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"The webhook target {endpoint.Host} resolves to {address}, which {reason}.");
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

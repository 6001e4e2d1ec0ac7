using System.Net;
using System.Net.Sockets;

namespace ActivityLog.Webhooks.Internal;

/// <summary>
/// Applies the network rules of <see cref="SpecialAddresses"/>: checked on the URL at start (literal addresses and
/// <c>localhost</c>), and on the resolved address of every connection (so a public name that resolves to a private
/// address is refused too). Through a configured proxy, the proxy resolves the target, so only the target's host is
/// checked, as at start.
/// </summary>
internal sealed class NetworkGuard
{
    private readonly bool _allowLoopback;
    private readonly bool _allowPrivate;
    private readonly IPNetwork[] _allowed;
    private readonly Uri? _proxy;

    // What a refusal advises: the host's options, or the subscription options for tenant URLs.
    private string _loopbackAdvice = "set AllowLoopback to allow it";
    private string _privateAdvice = "set AllowPrivateNetworks or AllowedNetworks to allow it";

    public NetworkGuard(ActivityWebhookOptions options)
    {
        _allowLoopback = options.AllowLoopback;
        _allowPrivate = options.AllowPrivateNetworks;
        // A malformed entry is skipped (the validator reports it) rather than read as default(IPNetwork).
        _allowed = [.. options.AllowedNetworks.Select(n => IPNetwork.TryParse(n, out var network) ? network : (IPNetwork?)null).OfType<IPNetwork>()];
        _proxy = options.Proxy;
    }

    /// <summary>
    /// The rules for tenant subscriptions (URLs typed by an account's admins): loopback only with
    /// <see cref="WebhookSubscriptionOptions.AllowLoopback"/>; private networks and <see cref="ActivityWebhookOptions.AllowedNetworks"/>
    /// never, since those widen the host's own endpoints only; the host's proxy, if any.
    /// </summary>
    public static NetworkGuard ForSubscriptions(ActivityWebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NetworkGuard(new ActivityWebhookOptions { AllowLoopback = options.Subscriptions.AllowLoopback, Proxy = options.Proxy })
        {
            _loopbackAdvice = "set ActivityLog:Webhooks:Subscriptions:AllowLoopback to allow it, for development only",
            _privateAdvice = "tenant webhooks never reach private networks",
        };
    }

    /// <summary>Why a connection to the address is refused, or <see langword="null"/>.</summary>
    public string? Refuse(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var (use, range) = SpecialAddresses.Classify(address);
        switch (use)
        {
            case AddressUse.Public:
                return null;
            case AddressUse.Refused:
                // Not even AllowedNetworks: these never reach a legitimate receiver (0.0.0.0 and [::] reach this host).
                return $"is in {range.Network} ({range.Name}), which is never a webhook target";
        }

        // IPNetwork.Contains answers false for IPv4-mapped addresses: match them by their IPv4 address.
        if (_allowed.Any(n => n.Contains(address) || (address.IsIPv4MappedToIPv6 && n.Contains(address.MapToIPv4()))))
        {
            return null;
        }

        return use == AddressUse.Loopback
            ? _allowLoopback ? null : $"is a loopback address ({range.Network}, {range.Name}; {_loopbackAdvice})"
            : _allowPrivate ? null : $"is a private, link-local or shared address ({range.Network}, {range.Name}; {_privateAdvice})";
    }

    /// <summary>Why a URL's host is refused, judged without DNS (literal addresses and <c>localhost</c>), or <see langword="null"/>.</summary>
    public string? RefuseHost(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        string host = url.IdnHost.TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return _allowLoopback ? null : $"is a loopback address (localhost; {_loopbackAdvice})";
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var address) ? Refuse(address) : null;
    }

    /// <summary>The connect callback of the named client's handler: resolves, checks every address, connects.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.DnsEndPoint;
        if (_proxy is not null
            && string.Equals(endpoint.Host, _proxy.IdnHost.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            && endpoint.Port == _proxy.Port)
        {
            // The host chose this proxy (it may well sit on a private network); the proxy resolves the target, so the
            // target can only be judged by its host here, as at start.
            if (context.InitialRequestMessage.RequestUri is { } target && RefuseHost(target) is { } refused)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"The webhook target {target.IdnHost} {refused}.");
            }

            return await ConnectAsync(endpoint.Host, await ResolveAsync(endpoint.Host, cancellationToken).ConfigureAwait(false), endpoint.Port, cancellationToken).ConfigureAwait(false);
        }

        IPAddress[] addresses = await ResolveAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        foreach (var address in addresses)
        {
            if (Refuse(address) is { } reason)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"The webhook target {endpoint.Host} resolves to {address}, which {reason}.");
            }
        }

        return await ConnectAsync(endpoint.Host, addresses, endpoint.Port, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);

    private static async Task<Stream> ConnectAsync(string host, IPAddress[] addresses, int port, CancellationToken cancellationToken)
    {
        if (addresses.Length == 0)
        {
            throw new HttpRequestException(HttpRequestError.NameResolutionError, $"The webhook target {host} resolves to no address.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

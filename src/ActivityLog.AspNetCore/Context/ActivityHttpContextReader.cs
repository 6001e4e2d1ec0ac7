using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using ActivityLog.Naming;
using Microsoft.Extensions.Options;

namespace ActivityLog.AspNetCore.Context;

/// <summary>
/// Reads the actor, the account and the request context from an <see cref="HttpContext"/> as
/// <see cref="ActivityLogHttpOptions"/> says. The middleware and the endpoints share it, so the page reads exactly the
/// account that recording uses. Thread-safe; allocation kept to the strings the context needs.
/// </summary>
internal sealed class ActivityHttpContextReader
{
    private readonly HashSet<string> _apiTokenTypes;
    private readonly bool _numericIds;
    private readonly string? _accountRoute;
    private readonly string? _accountHeader;
    private readonly Func<HttpContext, string?>? _accountResolver;
    private readonly bool _authTypeAsMethod;
    private readonly bool _captureIp;
    private readonly bool _captureUserAgent;

    public ActivityHttpContextReader(IOptions<ActivityLogHttpOptions> options)
    {
        var o = options.Value;
        string[] idClaims = [.. o.ActorIdClaimTypes.Count > 0 ? (IEnumerable<string>)o.ActorIdClaimTypes : ActivityLogHttpOptions.DefaultActorIdClaimTypes];
        string[] nameClaims = [.. o.ActorNameClaimTypes.Count > 0 ? (IEnumerable<string>)o.ActorNameClaimTypes : ActivityLogHttpOptions.DefaultActorNameClaimTypes];
        string[] authMethodClaims = [.. o.AuthMethodClaimTypes.Count > 0 ? (IEnumerable<string>)o.AuthMethodClaimTypes : ActivityLogHttpOptions.DefaultAuthMethodClaimTypes];
        _apiTokenTypes = new HashSet<string>(o.ApiTokenAuthenticationTypes, StringComparer.OrdinalIgnoreCase);
        _numericIds = o.NumericActorIds;
        _accountRoute = o.AccountRouteValue;
        _accountHeader = o.AccountHeader;
        _accountResolver = o.AccountResolver;
        _authTypeAsMethod = o.AuthenticationTypeAsAuthMethod;
        _captureIp = o.CaptureIpAddress;
        _captureUserAgent = o.CaptureUserAgent;
        _claims = new ClaimReader(idClaims, nameClaims, authMethodClaims, o.ActorTypeClaimType, o.AccountClaimType);
    }

    private readonly ClaimReader _claims;

    /// <summary>
    /// Everything the middleware puts in the request's scope, from one read of the claims. The values are already cut to
    /// the limits and repaired, so the scope need not check them again. The context is read at the first <c>Record</c>
    /// (or when the middleware seals it as the request ends), not now: see <see cref="DeferredRequestContext"/>.
    /// </summary>
    public (ActivityActor Actor, string? Account, HttpRequestContextSource Context) ReadScope(HttpContext context)
    {
        var user = context.User;
        var claims = _claims.Read(user);
        var identity = user?.Identity;
        var source = new HttpRequestContextSource(this, context, AuthMethod(identity, claims));
        return (ReadActor(user, identity, claims), ReadAccount(context, claims), source);
    }

    /// <summary>The actor of the request: the unknown actor when nobody authenticated.</summary>
    public ActivityActor ReadActor(ClaimsPrincipal? user) => ReadActor(user, user?.Identity, _claims.Read(user));

    private ActivityActor ReadActor(ClaimsPrincipal? user, System.Security.Principal.IIdentity? identity, in ClaimValues claims)
    {
        if (user is null || identity is null || !identity.IsAuthenticated)
        {
            return ActivityActor.Unknown;
        }

        string? id = Limit(claims.Id, ActivityLimits.MaxIdLength);
        string? name = Limit(claims.Name ?? identity.Name, ActivityLimits.MaxNameLength);
        string type = ActorType(claims.ActorType, identity.AuthenticationType);
        if (_numericIds && id is not null && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long number) &&
            (id.Length == 1 || id[0] != '0'))
        {
            return new ActivityActor(type, number, name);
        }

        return new ActivityActor(type, id, name);
    }

    /// <summary>The caller's account, or <see langword="null"/> when the request names none (or one too long to be an id).</summary>
    public string? ReadAccount(HttpContext context) => ReadAccount(context, _accountResolver is null ? _claims.Read(context.User) : default);

    private string? ReadAccount(HttpContext context, in ClaimValues claims)
    {
        string? account;
        if (_accountResolver is not null)
        {
            account = _accountResolver(context);
        }
        else
        {
            account = claims.Account;
            if (string.IsNullOrWhiteSpace(account) && _accountRoute is not null)
            {
                account = context.Request.RouteValues.TryGetValue(_accountRoute, out object? value)
                    ? Convert.ToString(value, CultureInfo.InvariantCulture)
                    : null;
            }

            if (string.IsNullOrWhiteSpace(account) && _accountHeader is not null)
            {
                account = context.Request.Headers[_accountHeader].ToString();
            }
        }

        // A value the store could not hold is no account at all, never a truncated or repaired one that might name another.
        return string.IsNullOrWhiteSpace(account) || !ReferenceEquals(ActivityLimits.Fit(account, ActivityLimits.MaxIdLength), account) ? null : account;
    }

    /// <summary>IP address, user agent, auth method and the trace id as correlation id.</summary>
    public ActivityRequestContext ReadContext(HttpContext context) => ReadContext(context, AuthMethod(context.User?.Identity, _claims.Read(context.User)));

    private string? AuthMethod(System.Security.Principal.IIdentity? identity, in ClaimValues claims) =>
        identity is { IsAuthenticated: true } ? claims.AuthMethod ?? (_authTypeAsMethod ? identity.AuthenticationType : null) : null;

    /// <summary>The context from the request's connection and headers, with the auth method the claims gave.</summary>
    internal ActivityRequestContext ReadContext(HttpContext context, string? authMethod)
    {
        string? userAgent = null;
        if (_captureUserAgent)
        {
            // The typed property: Kestrel's header collection answers it from a field, no name lookup.
            var header = context.Request.Headers.UserAgent;
            userAgent = header.Count == 0 ? null : Limit(header.ToString(), ActivityLimits.MaxContextValueLength);
        }

        var activity = Activity.Current;
        return new ActivityRequestContext
        {
            IpAddress = _captureIp ? FormatAddress(context.Connection.RemoteIpAddress) : null,
            UserAgent = userAgent,
            AuthMethod = Limit(authMethod, ActivityLimits.MaxContextValueLength),
            // With a W3C trace, the pipeline turns the trace id of the Activity current at Record time (this request's
            // trace) into the correlation id, so nothing is formatted for requests that record nothing.
            CorrelationId = activity is not null && activity.IdFormat == ActivityIdFormat.W3C
                ? null
                : Limit(context.TraceIdentifier, ActivityLimits.MaxContextValueLength),
        };
    }

    /// <summary>
    /// The client address as text, from a small cache of recently formatted addresses (by value): requests from the same
    /// client (a keep-alive connection, an office behind one NAT) reuse one string instead of formatting and allocating
    /// one per request, and a string that is already old is not one more object each queued event keeps alive through
    /// the next gen0 collection (measured: the survivors of the request path are what that collection pays for).
    /// </summary>
    private string? FormatAddress(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        int slot = (address.GetHashCode() & int.MaxValue) % _addresses.Length;
        var cached = Volatile.Read(ref _addresses[slot]);
        if (cached is not null && cached.Address.Equals(address))
        {
            return cached.Text;
        }

        string text = address.ToString();
        // A copy as the key: IPAddress is mutable (ScopeId), and a key changed behind the cache would hand out another
        // address's text.
        var key = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? new IPAddress(address.GetAddressBytes(), address.ScopeId)
            : new IPAddress(address.GetAddressBytes());
        Volatile.Write(ref _addresses[slot], new FormattedAddress(key, text));
        return text;
    }

    private readonly FormattedAddress?[] _addresses = new FormattedAddress?[64];

    /// <summary>An address and its text; immutable, so a slot is replaced whole and read without a lock.</summary>
    private sealed record FormattedAddress(IPAddress Address, string Text);

    private string ActorType(string? claimed, string? authenticationType)
    {
        // A claimed type that breaks the type rule (lower snake_case) is ignored, so a crafted claim can never make recording throw.
        if (claimed is not null && ActivityEventName.IsSegment(claimed))
        {
            return claimed;
        }

        return authenticationType is not null && _apiTokenTypes.Contains(authenticationType) ? ActivityActorTypes.ApiToken : ActivityActorTypes.User;
    }

    // Record rejects values over the limits or with text no store can hold; a crafted header or claim must not make app
    // code (or this middleware's ActivityScope.Begin) throw.
    private static string? Limit(string? value, int max) => ActivityLimits.Fit(value, max);
}

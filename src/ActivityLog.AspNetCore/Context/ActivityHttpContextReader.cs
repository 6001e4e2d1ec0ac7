using System.Diagnostics;
using System.Globalization;
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
    private readonly string[] _idClaims;
    private readonly string[] _nameClaims;
    private readonly string[] _authMethodClaims;
    private readonly string? _actorTypeClaim;
    private readonly HashSet<string> _apiTokenTypes;
    private readonly bool _numericIds;
    private readonly string? _accountClaim;
    private readonly string? _accountRoute;
    private readonly string? _accountHeader;
    private readonly Func<HttpContext, string?>? _accountResolver;
    private readonly bool _authTypeAsMethod;
    private readonly bool _captureIp;
    private readonly bool _captureUserAgent;

    public ActivityHttpContextReader(IOptions<ActivityLogHttpOptions> options)
    {
        var o = options.Value;
        _idClaims = [.. o.ActorIdClaimTypes.Count > 0 ? (IEnumerable<string>)o.ActorIdClaimTypes : ActivityLogHttpOptions.DefaultActorIdClaimTypes];
        _nameClaims = [.. o.ActorNameClaimTypes.Count > 0 ? (IEnumerable<string>)o.ActorNameClaimTypes : ActivityLogHttpOptions.DefaultActorNameClaimTypes];
        _authMethodClaims = [.. o.AuthMethodClaimTypes.Count > 0 ? (IEnumerable<string>)o.AuthMethodClaimTypes : ActivityLogHttpOptions.DefaultAuthMethodClaimTypes];
        _actorTypeClaim = o.ActorTypeClaimType;
        _apiTokenTypes = new HashSet<string>(o.ApiTokenAuthenticationTypes, StringComparer.OrdinalIgnoreCase);
        _numericIds = o.NumericActorIds;
        _accountClaim = o.AccountClaimType;
        _accountRoute = o.AccountRouteValue;
        _accountHeader = o.AccountHeader;
        _accountResolver = o.AccountResolver;
        _authTypeAsMethod = o.AuthenticationTypeAsAuthMethod;
        _captureIp = o.CaptureIpAddress;
        _captureUserAgent = o.CaptureUserAgent;
    }

    /// <summary>The actor of the request: the unknown actor when nobody authenticated.</summary>
    public ActivityActor ReadActor(ClaimsPrincipal? user)
    {
        var identity = user?.Identity;
        if (user is null || identity is null || !identity.IsAuthenticated)
        {
            return ActivityActor.Unknown;
        }

        string? id = Limit(FindFirst(user, _idClaims), ActivityLimits.MaxIdLength);
        string? name = Limit(FindFirst(user, _nameClaims) ?? identity.Name, ActivityLimits.MaxNameLength);
        string type = ActorType(user, identity.AuthenticationType);
        if (_numericIds && id is not null && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long number) &&
            (id.Length == 1 || id[0] != '0'))
        {
            return new ActivityActor(type, number, name);
        }

        return new ActivityActor(type, id, name);
    }

    /// <summary>The caller's account, or <see langword="null"/> when the request names none (or one too long to be an id).</summary>
    public string? ReadAccount(HttpContext context)
    {
        string? account;
        if (_accountResolver is not null)
        {
            account = _accountResolver(context);
        }
        else
        {
            account = _accountClaim is null ? null : context.User.FindFirst(_accountClaim)?.Value;
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
    public ActivityRequestContext ReadContext(HttpContext context)
    {
        var user = context.User;
        string? authMethod = null;
        if (user.Identity is { IsAuthenticated: true } identity)
        {
            authMethod = FindFirst(user, _authMethodClaims) ?? (_authTypeAsMethod ? identity.AuthenticationType : null);
        }

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
            IpAddress = _captureIp ? context.Connection.RemoteIpAddress?.ToString() : null,
            UserAgent = userAgent,
            AuthMethod = Limit(authMethod, ActivityLimits.MaxContextValueLength),
            // With a W3C trace, the pipeline turns the trace id of the Activity current at Record time (this request's
            // trace) into the correlation id, so nothing is formatted for requests that record nothing.
            CorrelationId = activity is not null && activity.IdFormat == ActivityIdFormat.W3C
                ? null
                : Limit(context.TraceIdentifier, ActivityLimits.MaxContextValueLength),
        };
    }

    private string ActorType(ClaimsPrincipal user, string? authenticationType)
    {
        // A claimed type that breaks the type rule (lower snake_case) is ignored, so a crafted claim can never make recording throw.
        if (_actorTypeClaim is not null && user.FindFirst(_actorTypeClaim)?.Value is { } claimed && ActivityEventName.IsSegment(claimed))
        {
            return claimed;
        }

        return authenticationType is not null && _apiTokenTypes.Contains(authenticationType) ? ActivityActorTypes.ApiToken : ActivityActorTypes.User;
    }

    private static string? FindFirst(ClaimsPrincipal user, string[] claimTypes)
    {
        foreach (string type in claimTypes)
        {
            if (user.FindFirst(type)?.Value is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }

    // Record rejects values over the limits or with text no store can hold; a crafted header or claim must not make app
    // code (or this middleware's ActivityScope.Begin) throw.
    private static string? Limit(string? value, int max) => ActivityLimits.Fit(value, max);
}

using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace ActivityLog.AspNetCore;

/// <summary>
/// How <c>UseActivityLog()</c> turns a request into the ambient actor, account and context, and how the Activity Log
/// endpoints find the caller's account. Bindable from configuration (section <c>ActivityLog:AspNetCore</c> by
/// convention) except <see cref="AccountResolver"/>; validated when the host starts.
/// </summary>
/// <remarks>
/// <para>
/// <b>Actor.</b> An unauthenticated request is the unknown actor ("Someone"). An authenticated one is a <c>user</c>,
/// or an <c>api_token</c> when its authentication type is in <see cref="ApiTokenAuthenticationTypes"/> or its
/// <see cref="ActorTypeClaimType"/> claim says so. Its id is the first of <see cref="ActorIdClaimTypes"/> found, its
/// name the first of <see cref="ActorNameClaimTypes"/>.
/// </para>
/// <para>
/// <b>Account.</b> <see cref="AccountResolver"/> when set; otherwise the <see cref="AccountClaimType"/> claim, then
/// the <see cref="AccountRouteValue"/> route value, then the <see cref="AccountHeader"/> header, each only when
/// configured. The Activity Log endpoints read the same account and nothing else: a route value or a header is only
/// as trustworthy as the authorization policy that checks it belongs to the caller, so prefer a claim.
/// </para>
/// </remarks>
public sealed class ActivityLogHttpOptions
{
    /// <summary>The configuration section these options bind from by convention.</summary>
    public const string SectionName = "ActivityLog:AspNetCore";

    /// <summary>The claim types tried for the actor's id when <see cref="ActorIdClaimTypes"/> is empty.</summary>
    public static IReadOnlyList<string> DefaultActorIdClaimTypes { get; } = [ClaimTypes.NameIdentifier, "sub"];

    /// <summary>The claim types tried for the actor's name when <see cref="ActorNameClaimTypes"/> is empty.</summary>
    public static IReadOnlyList<string> DefaultActorNameClaimTypes { get; } = [ClaimTypes.Name, "name"];

    /// <summary>The claim types tried for the auth method when <see cref="AuthMethodClaimTypes"/> is empty.</summary>
    public static IReadOnlyList<string> DefaultAuthMethodClaimTypes { get; } = ["auth_method", "amr", ClaimTypes.AuthenticationMethod];

    /// <summary>
    /// The claim types holding the actor's id, tried in order. Empty means <see cref="DefaultActorIdClaimTypes"/>
    /// (empty rather than pre-filled because configuration binding appends to a list instead of replacing it).
    /// </summary>
    /// <value>Empty: <see cref="ClaimTypes.NameIdentifier"/>, then <c>sub</c>.</value>
    [Required]
    public IList<string> ActorIdClaimTypes { get; set; } = [];

    /// <summary>The claim types holding the actor's display name, tried in order. Empty means <see cref="DefaultActorNameClaimTypes"/>.</summary>
    /// <value>Empty: <see cref="ClaimTypes.Name"/>, then <c>name</c>, then the identity's name.</value>
    [Required]
    public IList<string> ActorNameClaimTypes { get; set; } = [];

    /// <summary>
    /// A claim whose value is the actor type (<c>user</c>, <c>api_token</c>, …), for hosts whose token handler says
    /// what the caller is; <see langword="null"/> to not look for one.
    /// </summary>
    /// <value><c>actor_type</c>.</value>
    public string? ActorTypeClaimType { get; set; } = "actor_type";

    /// <summary>
    /// Authentication types (<see cref="System.Security.Principal.IIdentity.AuthenticationType"/>, usually the scheme
    /// name) whose callers are API tokens: their actor type is <c>api_token</c>. Compared case-insensitively.
    /// </summary>
    /// <value>Empty: every authenticated caller is a <c>user</c> unless <see cref="ActorTypeClaimType"/> says otherwise.</value>
    [Required]
    public IList<string> ApiTokenAuthenticationTypes { get; set; } = [];

    /// <summary>
    /// Whether an id claim that is a canonical integer (<c>783</c>, not <c>0783</c>) becomes a numeric actor id, written
    /// to JSON as a number as in the seed payload (<c>"actor":{"id":783,…}</c>).
    /// </summary>
    /// <value><see langword="true"/>.</value>
    public bool NumericActorIds { get; set; } = true;

    /// <summary>The claim type holding the caller's account (tenant) id; <see langword="null"/> to not read a claim.</summary>
    /// <value><c>account_id</c>.</value>
    public string? AccountClaimType { get; set; } = "account_id";

    /// <summary>
    /// A route value holding the account id, for routes such as <c>/accounts/{accountId}/…</c>; <see langword="null"/>
    /// to not read one. The host's authorization must check that the caller belongs to that account.
    /// </summary>
    /// <value><see langword="null"/>.</value>
    public string? AccountRouteValue { get; set; }

    /// <summary>
    /// A request header holding the account id; <see langword="null"/> to not read one. Only for headers a trusted proxy
    /// sets: a client can send any header.
    /// </summary>
    /// <value><see langword="null"/>.</value>
    public string? AccountHeader { get; set; }

    /// <summary>
    /// Resolves the account from the request in code (for example from a session or a host lookup); when set, the
    /// claim, route value and header settings are not used. Called once per request on the request's thread; must be
    /// fast and must not throw. Not bindable from configuration.
    /// </summary>
    /// <value><see langword="null"/>.</value>
    public Func<HttpContext, string?>? AccountResolver { get; set; }

    /// <summary>
    /// The claim types holding how the caller authenticated (<c>GitHub</c>, <c>password</c>, <c>pwd</c>), tried in order.
    /// Empty means <see cref="DefaultAuthMethodClaimTypes"/>.
    /// </summary>
    /// <value>Empty: <c>auth_method</c>, then <c>amr</c>, then <see cref="ClaimTypes.AuthenticationMethod"/>.</value>
    [Required]
    public IList<string> AuthMethodClaimTypes { get; set; } = [];

    /// <summary>Whether the identity's authentication type (the scheme, such as <c>Cookies</c>) is the auth method when no claim names one.</summary>
    /// <value><see langword="true"/>.</value>
    public bool AuthenticationTypeAsAuthMethod { get; set; } = true;

    /// <summary>
    /// Whether the client's IP address (<see cref="ConnectionInfo.RemoteIpAddress"/>, which ASP.NET Core's
    /// forwarded-headers middleware rewrites behind a proxy) is captured.
    /// </summary>
    /// <value><see langword="true"/>.</value>
    public bool CaptureIpAddress { get; set; } = true;

    /// <summary>Whether the <c>User-Agent</c> header is captured (cut to <see cref="ActivityLimits.MaxContextValueLength"/> characters).</summary>
    /// <value><see langword="true"/>.</value>
    public bool CaptureUserAgent { get; set; } = true;
}

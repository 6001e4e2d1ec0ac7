using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.AspNetCore.Tests.Support;

/// <summary>
/// A real authentication handler for the tests: the caller names itself in request headers (no header, no identity).
/// It runs through ASP.NET Core's authentication and authorization like any cookie or bearer handler would.
/// </summary>
/// <remarks>
/// <c>X-Test-User</c> (the name identifier), <c>X-Test-Name</c>, <c>X-Test-Account</c> (claim <c>account_id</c>),
/// <c>X-Test-AuthType</c> (the identity's authentication type; the scheme name when absent) and any number of
/// <c>X-Test-Claim: type=value</c>.
/// </remarks>
internal sealed class HeaderAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Header";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers;
        if (!headers.TryGetValue(TestUser.UserHeader, out var user) || string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.ToString()) };
        if (headers.TryGetValue(TestUser.NameHeader, out var name))
        {
            claims.Add(new Claim(ClaimTypes.Name, name.ToString()));
        }

        if (headers.TryGetValue(TestUser.AccountHeader, out var account))
        {
            claims.Add(new Claim("account_id", account.ToString()));
        }

        foreach (string? claim in headers[TestUser.ClaimHeader])
        {
            int equals = claim?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (equals > 0)
            {
                claims.Add(new Claim(claim![..equals], claim[(equals + 1)..]));
            }
        }

        string authenticationType = headers.TryGetValue(TestUser.AuthTypeHeader, out var type) ? type.ToString() : Scheme.Name;
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }
}

/// <summary>Who a test request claims to be; <see cref="Apply"/> writes the headers the handler reads.</summary>
internal sealed record TestUser(string Id, string? Name, string? Account)
{
    public const string UserHeader = "X-Test-User";
    public const string NameHeader = "X-Test-Name";
    public const string AccountHeader = "X-Test-Account";
    public const string AuthTypeHeader = "X-Test-AuthType";
    public const string ClaimHeader = "X-Test-Claim";

    public static TestUser John { get; } = new("783", "John Doe", "acct-a");

    public static TestUser Jane { get; } = new("784", "Jane Roe", "acct-b");

    public string? AuthType { get; init; }

    public IReadOnlyList<(string Type, string Value)> Claims { get; init; } = [];

    public void Apply(HttpRequestMessage request)
    {
        request.Headers.Add(UserHeader, Id);
        if (Name is not null)
        {
            request.Headers.Add(NameHeader, Name);
        }

        if (Account is not null)
        {
            request.Headers.Add(AccountHeader, Account);
        }

        if (AuthType is not null)
        {
            request.Headers.Add(AuthTypeHeader, AuthType);
        }

        foreach (var (type, value) in Claims)
        {
            request.Headers.Add(ClaimHeader, $"{type}={value}");
        }
    }
}

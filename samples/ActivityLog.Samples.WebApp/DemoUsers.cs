using System.Security.Claims;

namespace ActivityLog.Samples.WebApp;

/// <summary>A demo user: the sign-in page offers these two, in two accounts.</summary>
internal sealed record DemoUser(long Id, string Name, string AccountId);

/// <summary>The demo's users and the claims its sign-in cookie carries.</summary>
internal static class DemoUsers
{
    /// <summary>The demo password of every user (documented on the sign-in page and in the README).</summary>
    public const string Password = "demo";

    /// <summary>The claim holding the account, the one <c>AddAspNetCore()</c> reads by default.</summary>
    public const string AccountClaimType = "account_id";

    /// <summary>The claim holding how the user signed in; it becomes the activity context's auth method.</summary>
    public const string AuthMethodClaimType = "auth_method";

    public static IReadOnlyList<DemoUser> All { get; } =
    [
        new(1, "John Doe", "acme"),
        new(2, "Jane Roe", "globex"),
    ];

    public static DemoUser? Find(long id) => All.FirstOrDefault(u => u.Id == id);

    /// <summary>The signed-in demo user, or <see langword="null"/> when the request is signed out.</summary>
    public static DemoUser? Current(ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated == true
        && long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out long id)
            ? Find(id)
            : null;

    public static ClaimsPrincipal Principal(DemoUser user, string authenticationType, string authMethod) =>
        new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, user.Name),
                new Claim(AccountClaimType, user.AccountId),
                new Claim(AuthMethodClaimType, authMethod),
            ],
            authenticationType));
}

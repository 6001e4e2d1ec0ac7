using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace ActivityLog.Samples.WebApp;

/// <summary>
/// The demo sign-in: pick a user, type the demo password. "Sign in with GitHub" is not configured in the demo: it
/// always fails, which records the seed's "Someone attempted to log in to the user John Doe using GitHub."
/// </summary>
internal static class SignInEndpoints
{
    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sign-in", (HttpContext http, IAntiforgery antiforgery, string? returnUrl, string? error) =>
            SignInPage(http, antiforgery, returnUrl, error));

        app.MapPost("/sign-in", async (
            HttpContext http,
            IActivityRecorder recorder,
            [FromForm] long? user,
            [FromForm] string? password,
            [FromForm] string? method,
            [FromForm] string? returnUrl) =>
        {
            var demoUser = user is { } id ? DemoUsers.Find(id) : null;
            if (demoUser is null)
            {
                return Results.Redirect("/sign-in?error=unknown-user");
            }

            bool github = string.Equals(method, "GitHub", StringComparison.Ordinal);
            if (github || !string.Equals(password, DemoUsers.Password, StringComparison.Ordinal))
            {
                RecordFailedSignIn(recorder, demoUser, github ? "GitHub" : "password");
                return Results.Redirect("/sign-in?error=" + (github ? "github" : "password"));
            }

            await http.SignInAsync(
                CookieAuthenticationDefaults.AuthenticationScheme,
                DemoUsers.Principal(demoUser, CookieAuthenticationDefaults.AuthenticationScheme, "password"));
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
        });

        app.MapPost("/sign-out", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/");
        }).RequireAuthorization();
    }

    // Signed out, so the actor is the request's unknown actor ("Someone"); the account is the target user's.
    private static void RecordFailedSignIn(IActivityRecorder recorder, DemoUser target, string authMethod) =>
        recorder.Record("activity_log.user.login_failed",
            resource: new ActivityResource("user", target.Id, target.Name),
            accountId: target.AccountId,
            context: new ActivityRequestContext { AuthMethod = authMethod });

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    private static IResult SignInPage(HttpContext http, IAntiforgery antiforgery, string? returnUrl, string? error)
    {
        var body = new StringBuilder();
        string? message = error switch
        {
            "password" => "Wrong password (the demo password is \"demo\"). The failed attempt was recorded in the user's Activity Log.",
            "github" => "GitHub sign-in is not configured in this demo, so it fails. The failed attempt was recorded in the user's Activity Log.",
            "unknown-user" => "Pick one of the demo users.",
            _ => null,
        };
        if (message is not null)
        {
            body.Append("<p id=\"sign-in-error\" class=\"error\">").Append(Html.Encode(message)).Append("</p>");
        }

        body.Append("<form id=\"sign-in-form\" method=\"post\" action=\"/sign-in\">")
            .Append(Html.AntiforgeryField(antiforgery, http))
            .Append("<input type=\"hidden\" name=\"returnUrl\" value=\"").Append(Html.Encode(IsLocal(returnUrl) ? returnUrl : "/")).Append("\">")
            .Append("<p><label for=\"user\">User</label><select id=\"user\" name=\"user\">");
        foreach (var user in DemoUsers.All)
        {
            body.Append("<option value=\"").Append(user.Id.ToString(CultureInfo.InvariantCulture)).Append("\">")
                .Append(Html.Encode($"{user.Name} (account {user.AccountId})")).Append("</option>");
        }

        body.Append("</select></p>")
            .Append("<p><label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" placeholder=\"demo\"></p>")
            .Append("<p><button id=\"sign-in\" type=\"submit\" name=\"method\" value=\"password\">Sign in</button> ")
            .Append("<button id=\"sign-in-github\" type=\"submit\" name=\"method\" value=\"GitHub\">Sign in with GitHub</button></p>")
            .Append("</form><p>Demo password: <code>demo</code>. GitHub sign-in always fails here, on purpose.</p>");
        return Html.Page(http, antiforgery, "Sign in", body.ToString());
    }
}

using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;

namespace ActivityLog.Webhooks.Tests;

/// <summary>
/// The example request in the package README is real: recomputed with the README's own secret, id, timestamp and
/// body, its signature verifies, with our verifier and with the independent StandardWebhooks package.
/// </summary>
public sealed partial class ReadmeExampleTests
{
    [Fact]
    public void The_readme_example_signature_verifies_with_the_readme_secret()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "ActivityLog.Webhooks", "README.md"));
        string secret = SecretPattern().Match(readme).Value;
        var request = HttpBlock().Match(readme);
        request.Success.Should().BeTrue("the README shows an example request in an ```http block");
        string[] lines = request.Groups["request"].Value.Split('\n');
        int blank = Array.FindIndex(lines, l => l.Length == 0);
        var headers = lines[1..blank].Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => new StringValues(p[1]), StringComparer.OrdinalIgnoreCase);
        string body = string.Join('\n', lines[(blank + 1)..]).TrimEnd('\n');
        var at = DateTimeOffset.FromUnixTimeSeconds(long.Parse(headers["webhook-timestamp"]!, System.Globalization.CultureInfo.InvariantCulture));

        secret.Should().StartWith("whsec_");
        var verifier = new WebhookSignatureVerifier([secret], WebhookSigningScheme.StandardWebhooks, timeProvider: new FakeTimeProvider(at));
        verifier.TryVerify(Encoding.UTF8.GetBytes(body), headers, out string? failure).Should().BeTrue(failure);
        headers["webhook-signature"].ToString().Should().Be(new StandardWebhook(secret).Sign(headers["webhook-id"]!, at, body));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActivityLog.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ActivityLog.sln not found");
    }

    [GeneratedRegex(@"whsec_[A-Za-z0-9+/=]+")]
    private static partial Regex SecretPattern();

    [GeneratedRegex("```http\\n(?<request>.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex HttpBlock();
}

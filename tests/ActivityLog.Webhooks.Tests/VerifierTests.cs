using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;

namespace ActivityLog.Webhooks.Tests;

/// <summary>The receiver-side verifier against signatures made by the independent StandardWebhooks package and by hand.</summary>
public sealed class VerifierTests
{
    private static readonly string Secret = Support.WebhookTestHost.Secret;
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private const string Body = """{"events":[{"event":"activity_log.user.updated"}]}""";

    private static Dictionary<string, StringValues> Signed(string secret, DateTimeOffset at, string body = Body, string id = "msg_1") => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Webhook-Id"] = id,
        ["Webhook-Timestamp"] = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        ["Webhook-Signature"] = new StandardWebhook(secret).Sign(id, at, body),
    };

    private static WebhookSignatureVerifier Verifier(params string[] secrets) =>
        new(secrets, WebhookSigningScheme.StandardWebhooks, timeProvider: new FakeTimeProvider(Now));

    [Fact]
    public void A_request_signed_by_the_StandardWebhooks_package_verifies_with_case_insensitive_header_names() =>
        Verifier(Secret).Verify(Encoding.UTF8.GetBytes(Body), Signed(Secret, Now)).Should().BeTrue();

    [Fact]
    public void A_tampered_body_fails()
    {
        Verifier(Secret).TryVerify(Encoding.UTF8.GetBytes(Body + " "), Signed(Secret, Now), out string? failure).Should().BeFalse();
        failure.Should().Be("No signature matches.");
    }

    [Fact]
    public void A_tampered_id_fails() =>
        Verifier(Secret).Verify(Body, new Dictionary<string, StringValues>(Signed(Secret, Now), StringComparer.OrdinalIgnoreCase) { ["webhook-id"] = "msg_2" }).Should().BeFalse();

    [Fact]
    public void The_wrong_secret_fails() =>
        Verifier(Support.WebhookTestHost.OtherSecret).Verify(Body, Signed(Secret, Now)).Should().BeFalse();

    [Theory]
    [InlineData(-301, false)]
    [InlineData(-300, true)]
    [InlineData(300, true)]
    [InlineData(301, false)]
    public void The_timestamp_must_be_within_five_minutes(int offsetSeconds, bool valid)
    {
        var verifier = Verifier(Secret);
        verifier.TryVerify(Encoding.UTF8.GetBytes(Body), Signed(Secret, Now.AddSeconds(offsetSeconds)), out string? failure).Should().Be(valid);
        if (!valid)
        {
            failure.Should().Contain("tolerance");
        }
    }

    [Fact]
    public void During_a_rotation_any_signature_that_matches_any_secret_verifies()
    {
        var headers = Signed(Secret, Now);
        headers["webhook-signature"] = "v1,AAAA " + new StandardWebhook(Support.WebhookTestHost.OtherSecret).Sign("msg_1", Now, Body) + " v2,ignored";

        Verifier(Support.WebhookTestHost.OtherSecret).Verify(Body, headers).Should().BeTrue("the old secret's receiver finds its signature");
        Verifier(Secret, Support.WebhookTestHost.OtherSecret).Verify(Body, headers).Should().BeTrue("a receiver holding both secrets");
        Verifier(Secret).Verify(Body, headers).Should().BeFalse("no signature with this secret is present");
    }

    [Fact]
    public void Missing_or_malformed_headers_fail_with_a_reason()
    {
        var verifier = Verifier(Secret);
        verifier.TryVerify(Encoding.UTF8.GetBytes(Body), new Dictionary<string, StringValues>(), out string? missing).Should().BeFalse();
        missing.Should().Contain("missing");
        var headers = Signed(Secret, Now);
        headers["webhook-timestamp"] = "soon";
        verifier.TryVerify(Encoding.UTF8.GetBytes(Body), headers, out string? malformed).Should().BeFalse();
        malformed.Should().Contain("Unix seconds");
        verifier.TryVerify(Encoding.UTF8.GetBytes(Body), name => Signed(Secret, Now).TryGetValue(name.ToLowerInvariant() switch
        {
            "webhook-id" => "Webhook-Id",
            "webhook-timestamp" => "Webhook-Timestamp",
            _ => "Webhook-Signature",
        }, out var v) ? v.ToString() : null, out _).Should().BeTrue("a header lookup function works too");
    }

    [Fact]
    public void Mailtrap_signatures_are_lowercase_hex_of_the_body_and_compared_exactly()
    {
        const string secret = "mailtrap-secret";
        string signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Body)));
        var verifier = new WebhookSignatureVerifier([secret], WebhookSigningScheme.Mailtrap);

        verifier.Verify(Body, new Dictionary<string, StringValues> { ["mailtrap-signature"] = signature }).Should().BeTrue();
        verifier.Verify(Body + "x", new Dictionary<string, StringValues> { ["Mailtrap-Signature"] = signature }).Should().BeFalse();
        verifier.Verify(Body, new Dictionary<string, StringValues> { ["Mailtrap-Signature"] = "zz" }).Should().BeFalse();
        new WebhookSignatureVerifier(["other"], WebhookSigningScheme.Mailtrap).Verify(Body, new Dictionary<string, StringValues> { ["Mailtrap-Signature"] = signature }).Should().BeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    [InlineData("whsec_not*base64")]
    [InlineData("whsec_AAAA")]
    public void A_malformed_secret_is_refused_without_quoting_it(string secret)
    {
        var act = () => new WebhookSignatureVerifier(secret);
        var thrown = act.Should().Throw<ArgumentException>().Which;
        if (secret.Length > 0)
        {
            thrown.Message.Should().NotContain(secret);
        }
    }
}

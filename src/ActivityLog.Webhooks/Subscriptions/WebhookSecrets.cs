using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;

namespace ActivityLog.Webhooks.Subscriptions;

/// <summary>One signing secret of a subscription; a rotated-out secret signs beside the new one until it expires.</summary>
/// <param name="Value">The <c>whsec_</c> secret.</param>
/// <param name="ExpiresAt">When it stops signing, or <see langword="null"/> for the current secret.</param>
internal sealed record WebhookSecret(string Value, DateTimeOffset? ExpiresAt)
{
    public override string ToString() => $"WebhookSecret {{ Value = [FILTERED], ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>
/// Encrypts a subscription's secrets for the store with ASP.NET Core Data Protection (keys managed, rotated and
/// shared between instances the way the host configured <c>AddDataProtection()</c>), and decrypts them for signing.
/// </summary>
internal sealed class WebhookSecretProtector(IDataProtectionProvider provider)
{
    private const string Purpose = "ActivityLog.Webhooks.SubscriptionSecrets.v1";
    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    /// <summary>A new Standard Webhooks secret: <c>whsec_</c> and 32 random bytes in base64.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Protect(IReadOnlyList<WebhookSecret> secrets) =>
        _protector.Protect(JsonSerializer.Serialize(secrets, WebhookSecretsJson.Default.IReadOnlyListWebhookSecret));

    /// <summary>The secrets still valid at <paramref name="now"/>, current first.</summary>
    /// <exception cref="CryptographicException">The key ring no longer holds the key they were protected with.</exception>
    public IReadOnlyList<WebhookSecret> Unprotect(string protectedSecrets, DateTimeOffset now)
    {
        var all = JsonSerializer.Deserialize(_protector.Unprotect(protectedSecrets), WebhookSecretsJson.Default.IReadOnlyListWebhookSecret) ?? [];
        return [.. all.Where(s => s.ExpiresAt is null || s.ExpiresAt > now).OrderBy(s => s.ExpiresAt is null ? 0 : 1)];
    }
}

[JsonSerializable(typeof(IReadOnlyList<WebhookSecret>))]
internal sealed partial class WebhookSecretsJson : JsonSerializerContext;

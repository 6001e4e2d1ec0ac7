using System.Security.Cryptography;
using System.Text;

namespace ActivityLog.Webhooks.Signing;

/// <summary>Computes the signature headers of a request. Keys are decoded once; thread-safe.</summary>
internal sealed class WebhookSigner
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string MailtrapHeader = "Mailtrap-Signature";

    private readonly byte[][] _keys;

    public WebhookSigner(WebhookSigningScheme scheme, IEnumerable<string> secrets)
    {
        Scheme = scheme;
        _keys = [.. secrets.Select(secret => DecodeKey(scheme, secret))];
        if (_keys.Length == 0)
        {
            throw new ArgumentException("At least one secret is required.", nameof(secrets));
        }
    }

    public WebhookSigningScheme Scheme { get; }

    /// <summary>The key bytes of a secret; throws <see cref="FormatException"/> with a message that never quotes the secret.</summary>
    public static byte[] DecodeKey(WebhookSigningScheme scheme, string secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            throw new FormatException("The secret is empty.");
        }

        if (scheme == WebhookSigningScheme.Mailtrap)
        {
            return Encoding.UTF8.GetBytes(secret);
        }

        if (!secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            throw new FormatException("A Standard Webhooks secret starts with 'whsec_' followed by base64.");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(secret["whsec_".Length..]);
        }
        catch (FormatException)
        {
            throw new FormatException("A Standard Webhooks secret is 'whsec_' followed by valid base64; this one's base64 part is malformed.");
        }

        if (key.Length is < 24 or > 64)
        {
            throw new FormatException($"A Standard Webhooks secret holds 24 to 64 bytes after 'whsec_'; this one holds {key.Length}.");
        }

        return key;
    }

    /// <summary>The <c>webhook-signature</c> value: <c>v1,&lt;base64&gt;</c> per key, space-separated.</summary>
    public string SignStandard(string id, long timestamp, ReadOnlySpan<byte> body)
    {
        byte[] prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        var builder = new StringBuilder(_keys.Length * 48);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (byte[] key in _keys)
        {
            HashStandard(key, prefix, body, hash);
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append("v1,").Append(Convert.ToBase64String(hash));
        }

        return builder.ToString();
    }

    /// <summary>The Standard Webhooks HMAC-SHA256 of <c>{id}.{timestamp}.</c> (<paramref name="prefix"/>) followed by the body; shared with the verifier.</summary>
    public static void HashStandard(byte[] key, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body, Span<byte> hash)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        hmac.GetHashAndReset(hash);
    }

    /// <summary>The <c>Mailtrap-Signature</c> value: lowercase hex of the HMAC-SHA256 of the body, with the first secret.</summary>
    public string SignMailtrap(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_keys[0], body, hash);
        return Convert.ToHexStringLower(hash);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace ActivityLog.Webhooks;

/// <summary>
/// Verifies a received webhook request, for the receiving side: Standard Webhooks (<c>webhook-id</c>,
/// <c>webhook-timestamp</c>, <c>webhook-signature</c>, with a timestamp tolerance) or Mailtrap-compatible
/// (<c>Mailtrap-Signature</c>). Signatures are compared in constant time. Does not depend on ASP.NET Core: an
/// <c>IHeaderDictionary</c> is an <see cref="IEnumerable{T}"/> of header pairs.
/// </summary>
/// <remarks>Immutable and thread-safe: create one per endpoint and reuse it.</remarks>
/// <example>
/// In an ASP.NET Core minimal API handler:
/// <code>
/// var verifier = new WebhookSignatureVerifier(builder.Configuration["Webhook:Secret"]!);
/// app.MapPost("/hooks/activity", async (HttpRequest request) =>
/// {
///     using var body = new MemoryStream();
///     await request.Body.CopyToAsync(body);
///     if (!verifier.Verify(body.ToArray(), request.Headers)) return Results.Unauthorized();
///     var events = ActivityJsonSerializer.DeserializePayload(body.ToArray());
///     return Results.NoContent();
/// });
/// </code>
/// </example>
public sealed class WebhookSignatureVerifier
{
    /// <summary>Standard Webhooks' recommended tolerance between the sender's timestamp and the receiver's clock: 5 minutes.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private readonly byte[][] _keys;
    private readonly TimeProvider _time;

    /// <summary>Creates a Standard Webhooks verifier with one secret.</summary>
    /// <param name="secret">The <c>whsec_…</c> secret.</param>
    /// <exception cref="ArgumentException">The secret is missing or malformed (the message never quotes it).</exception>
    public WebhookSignatureVerifier(string secret)
        : this([secret])
    {
    }

    /// <summary>Creates a verifier.</summary>
    /// <param name="secrets">The accepted secrets (several during a rotation: a request verifies when any of its signatures matches any of them).</param>
    /// <param name="scheme">The signing scheme.</param>
    /// <param name="tolerance">For Standard Webhooks, the largest accepted distance between <c>webhook-timestamp</c> and now; <see langword="null"/> for <see cref="DefaultTolerance"/>.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">No secret, or a malformed one (the message never quotes it).</exception>
    public WebhookSignatureVerifier(IEnumerable<string> secrets, WebhookSigningScheme scheme = WebhookSigningScheme.StandardWebhooks, TimeSpan? tolerance = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        Scheme = scheme;
        Tolerance = tolerance ?? DefaultTolerance;
        ArgumentOutOfRangeException.ThrowIfLessThan(Tolerance, TimeSpan.Zero, nameof(tolerance));
        _time = timeProvider ?? TimeProvider.System;
        try
        {
            _keys = [.. secrets.Select(s => Signing.WebhookSigner.DecodeKey(scheme, s))];
        }
        catch (FormatException exception)
        {
            throw new ArgumentException(exception.Message, nameof(secrets));
        }

        if (_keys.Length == 0)
        {
            throw new ArgumentException("At least one secret is required.", nameof(secrets));
        }
    }

    /// <summary>The signing scheme this verifier checks.</summary>
    public WebhookSigningScheme Scheme { get; }

    /// <summary>The largest accepted distance between the request's timestamp and now (Standard Webhooks only).</summary>
    public TimeSpan Tolerance { get; }

    /// <summary>Whether the request is authentic: its signature matches the raw body and, for Standard Webhooks, its timestamp is within <see cref="Tolerance"/>.</summary>
    /// <param name="body">The raw request body, exactly as received.</param>
    /// <param name="headers">The request headers (names compared case-insensitively), for example ASP.NET Core's <c>Request.Headers</c>.</param>
    /// <returns><see langword="true"/> when authentic.</returns>
    public bool Verify(ReadOnlySpan<byte> body, IEnumerable<KeyValuePair<string, StringValues>> headers) =>
        Check(body, headers) is null;

    /// <summary>Whether the request is authentic (see <see cref="Verify(ReadOnlySpan{byte}, IEnumerable{KeyValuePair{string, StringValues}})"/>).</summary>
    /// <param name="body">The raw request body as text (encoded as UTF-8 for the check).</param>
    /// <param name="headers">The request headers.</param>
    /// <returns><see langword="true"/> when authentic.</returns>
    public bool Verify(string body, IEnumerable<KeyValuePair<string, StringValues>> headers)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Verify(Encoding.UTF8.GetBytes(body), headers);
    }

    /// <summary>Whether the request is authentic, with the reason when it is not (for the receiver's logs; never holds a secret).</summary>
    /// <param name="body">The raw request body.</param>
    /// <param name="headers">A lookup of a header's value by name (case-insensitive), <see langword="null"/> when absent.</param>
    /// <param name="failure">Why the request was refused, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when authentic.</returns>
    public bool TryVerify(ReadOnlySpan<byte> body, Func<string, string?> headers, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(headers);
        failure = Check(body, headers);
        return failure is null;
    }

    /// <summary>Whether the request is authentic, with the reason when it is not.</summary>
    /// <param name="body">The raw request body.</param>
    /// <param name="headers">The request headers.</param>
    /// <param name="failure">Why the request was refused, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when authentic.</returns>
    public bool TryVerify(ReadOnlySpan<byte> body, IEnumerable<KeyValuePair<string, StringValues>> headers, out string? failure)
    {
        failure = Check(body, headers);
        return failure is null;
    }

    private string? Check(ReadOnlySpan<byte> body, IEnumerable<KeyValuePair<string, StringValues>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return Check(body, name =>
        {
            foreach (var header in headers)
            {
                if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return header.Value.ToString();
                }
            }

            return null;
        });
    }

    private string? Check(ReadOnlySpan<byte> body, Func<string, string?> header)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (Scheme == WebhookSigningScheme.Mailtrap)
        {
            string? signature = header(Signing.WebhookSigner.MailtrapHeader)?.Trim();
            if (string.IsNullOrEmpty(signature))
            {
                return "The Mailtrap-Signature header is missing.";
            }

            if (signature.Length != given.Length * 2 || Convert.FromHexString(signature, given, out _, out _) != System.Buffers.OperationStatus.Done)
            {
                return "The Mailtrap-Signature header is not a hex HMAC-SHA256.";
            }

            foreach (byte[] key in _keys)
            {
                HMACSHA256.HashData(key, body, expected);
                if (CryptographicOperations.FixedTimeEquals(expected, given))
                {
                    return null;
                }
            }

            return "No signature matches.";
        }

        string? id = header(Signing.WebhookSigner.IdHeader);
        string? timestampText = header(Signing.WebhookSigner.TimestampHeader);
        string? signatures = header(Signing.WebhookSigner.SignatureHeader);
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestampText) || string.IsNullOrEmpty(signatures))
        {
            return "A webhook-id, webhook-timestamp or webhook-signature header is missing.";
        }

        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out long timestamp))
        {
            return "The webhook-timestamp header is not Unix seconds.";
        }

        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - timestamp) > (long)Tolerance.TotalSeconds)
        {
            return "The webhook-timestamp is outside the tolerance (too old or too new).";
        }

        byte[] signed = Encoding.UTF8.GetBytes($"{id}.{timestampText}.");
        string[] candidates = signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries); // once, not per secret
        foreach (byte[] key in _keys)
        {
            Signing.WebhookSigner.HashStandard(key, signed, body, expected);
            foreach (string candidate in candidates)
            {
                if (candidate.StartsWith("v1,", StringComparison.Ordinal)
                    && Convert.TryFromBase64Chars(candidate.AsSpan(3), given, out int written)
                    && written == given.Length
                    && CryptographicOperations.FixedTimeEquals(expected, given))
                {
                    return null;
                }
            }
        }

        return "No signature matches.";
    }
}

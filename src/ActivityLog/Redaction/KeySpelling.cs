using System.Buffers;
using System.Text.RegularExpressions;

namespace ActivityLog.Redaction;

/// <summary>
/// Rewrites a key's spelling to lowercase snake case before plain filters are matched, so <c>apiKey</c>,
/// <c>api-key</c>, <c>API_KEY</c>, <c>Api Key</c> and <c>api.key</c> all read <c>api_key</c>.
/// </summary>
/// <remarks>
/// A word boundary is a dash, whitespace, an underscore, a dot (kept as a dot in dotted paths), a lowercase letter or
/// digit followed by an uppercase letter (<c>apiKey</c>), or the last capital of a run followed by a lowercase letter
/// (<c>APIKey</c> → <c>api_key</c>). A run of boundaries becomes one underscore. Letters followed by digits stay
/// together (<c>sha256</c>). Nothing is allocated: the result is written to a caller's buffer.
/// </remarks>
internal static class KeySpelling
{
    // Keys up to this length are normalised on the stack; longer ones (rare, and never cached) rent a buffer.
    private const int StackLimit = 256;

    /// <summary>Whether <paramref name="key"/> is already in its normalised spelling, so it can be matched as it is.</summary>
    /// <param name="key">The key or dotted path.</param>
    /// <param name="keepDots">Whether dots separate path segments (kept) rather than words of one key (rewritten).</param>
    public static bool IsNormal(ReadOnlySpan<char> key, bool keepDots)
    {
        var previous = '\0';
        foreach (var c in key)
        {
            if (char.IsUpper(c) || c == '-' || char.IsWhiteSpace(c) || (c == '.' && !keepDots) || (c == '_' && previous == '_'))
            {
                return false;
            }

            previous = c;
        }

        return true;
    }

    /// <summary>Returns the normalised spelling of <paramref name="key"/> as a string (used once per configured filter).</summary>
    public static string Normalize(string key, bool keepDots)
    {
        if (IsNormal(key, keepDots))
        {
            return key;
        }

        var buffer = new char[key.Length * 2];
        return new string(buffer, 0, Normalize(key, buffer, keepDots));
    }

    /// <summary>
    /// Whether <paramref name="pattern"/> matches <paramref name="key"/> as written or, when its spelling differs,
    /// its normalised spelling. Allocates nothing for keys up to 256 characters.
    /// </summary>
    public static bool IsMatch(Regex pattern, string key, bool keepDots)
    {
        if (pattern.IsMatch(key))
        {
            return true;
        }

        if (IsNormal(key, keepDots))
        {
            return false;
        }

        var length = key.Length * 2;
        if (key.Length <= StackLimit)
        {
            Span<char> buffer = stackalloc char[StackLimit * 2];
            return pattern.IsMatch(buffer[..Normalize(key, buffer, keepDots)]);
        }

        var rented = ArrayPool<char>.Shared.Rent(length);
        try
        {
            return pattern.IsMatch(rented.AsSpan(0, Normalize(key, rented, keepDots)));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    // Writes at most two characters per input character (a boundary and the letter), so twice the length suffices.
    private static int Normalize(ReadOnlySpan<char> key, Span<char> destination, bool keepDots)
    {
        var written = 0;
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c == '.' && keepDots)
            {
                destination[written++] = '.';
            }
            else if (c is '-' or '_' or '.' || char.IsWhiteSpace(c))
            {
                if (written == 0 || destination[written - 1] != '_')
                {
                    destination[written++] = '_';
                }
            }
            else if (char.IsUpper(c))
            {
                if (written > 0 && destination[written - 1] is not ('_' or '.') && StartsWord(key, i))
                {
                    destination[written++] = '_';
                }

                destination[written++] = char.ToLowerInvariant(c);
            }
            else
            {
                destination[written++] = c;
            }
        }

        return written;
    }

    // An uppercase letter at i > 0 starts a word after a lowercase letter or digit (apiKey, v2Key), or ends a run of
    // capitals when a lowercase letter follows (the K of APIKey).
    private static bool StartsWord(ReadOnlySpan<char> key, int i)
    {
        var previous = key[i - 1];
        return char.IsLower(previous) || char.IsDigit(previous)
            || (char.IsUpper(previous) && i + 1 < key.Length && char.IsLower(key[i + 1]));
    }
}

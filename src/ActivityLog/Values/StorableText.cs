using System.Buffers;

namespace ActivityLog.Values;

/// <summary>
/// The one rule for text that every store can hold: no NUL character (PostgreSQL's <c>text</c> and <c>jsonb</c>
/// refuse U+0000) and no lone UTF-16 surrogate (it has no UTF-8 encoding, so JSON writers and database drivers refuse
/// or silently replace it). <c>Record</c> refuses such text; events that did not come through <c>Record</c> (captured
/// entity changes) are repaired by replacing each offending character with U+FFFD.
/// </summary>
internal static class StorableText
{
    /// <summary>The replacement character that <see cref="Repair"/> writes.</summary>
    public const char Replacement = '\uFFFD';

    // NUL and the whole surrogate range: one vectorized search finds both; a surrogate found is then checked for its pair.
    private static readonly SearchValues<char> Suspects = SearchValues.Create("\0" + SurrogateRange());

    /// <summary>Why a text is not storable, or <see langword="null"/> when it is. Allocates nothing.</summary>
    public static string? Problem(string? text)
    {
        if (text is null)
        {
            return null;
        }

        // The common case is text with neither, and most of it is short (names, types, field names): one scalar pass
        // for those, two vectorized scans for longer text. A SearchValues over NUL plus 2,048 surrogates is not a range
        // and measured several times slower on the short strings every Record checks.
        var span = text.AsSpan();
        if (span.Length <= 32)
        {
            bool suspect = false;
            foreach (char c in span)
            {
                suspect |= c == '\0' || (uint)(c - 0xD800) <= 0x7FF;
            }

            if (!suspect)
            {
                return null;
            }
        }
        else if (span.IndexOfAnyInRange('\uD800', '\uDFFF') < 0 && !span.Contains('\0'))
        {
            return null;
        }

        int index = span.IndexOfAny(Suspects);
        while (index >= 0)
        {
            char c = span[index];
            if (c == '\0')
            {
                return $"holds a NUL character (U+0000) at position {index}, which no store can hold";
            }

            if (char.IsHighSurrogate(c) && index + 1 < span.Length && char.IsLowSurrogate(span[index + 1]))
            {
                index += 2;
            }
            else
            {
                return $"holds a lone UTF-16 surrogate (U+{(int)c:X4}) at position {index}, which has no UTF-8 encoding";
            }

            int next = span[index..].IndexOfAny(Suspects);
            index = next < 0 ? -1 : index + next;
        }

        return null;
    }

    /// <summary>Replaces every NUL and lone surrogate with U+FFFD; returns the same instance when there is none.</summary>
    public static string Repair(string text)
    {
        if (Problem(text) is null)
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (c == '\0')
            {
                chars[i] = Replacement;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                chars[i] = Replacement;
            }
        }

        return new string(chars);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="field"/> when the text is not storable. Never quotes the text.</summary>
    public static void Check(string? text, string field)
    {
        if (text is null)
        {
            return;
        }

        if (!IsStorable(text))
        {
            throw new ArgumentException($"The {field} {Problem(text)}.", field);
        }
    }

    /// <summary>Whether every store can hold the text; allocates nothing.</summary>
    public static bool IsStorable(string text)
    {
        // Types, field names and many names and values are literals: the same instance on every call. Remember the
        // instances that passed (by reference; strings are immutable) and skip the scan for them, as the event-name
        // check does.
        int slot = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(text) & (Checked.Length - 1);
        if (ReferenceEquals(Volatile.Read(ref Checked[slot]), text))
        {
            return true;
        }

        if (Problem(text) is not null)
        {
            return false;
        }

        Volatile.Write(ref Checked[slot], text);
        return true;
    }

    private static readonly string?[] Checked = new string?[256];

    private static string SurrogateRange()
    {
        var range = new char[0xE000 - 0xD800];
        for (int i = 0; i < range.Length; i++)
        {
            range[i] = (char)(0xD800 + i);
        }

        return new string(range);
    }
}

// These exceptions name the reader's parameter (query), which is what the caller passed, rather than this helper's own.
#pragma warning disable CA2208

using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>A position in an account's time line: the (time, id) of the last event a page returned.</summary>
/// <param name="OccurredAt">The event's time, UTC.</param>
/// <param name="Id">The event's id.</param>
internal readonly record struct KeysetPosition(DateTime OccurredAt, Guid Id);

/// <summary>
/// The opaque page cursor: base64url of a version byte, the position's UTC ticks, its id and a 4-byte checksum.
/// </summary>
/// <remarks>
/// The checksum (the first bytes of a SHA-256 of the rest) is no secret and no signature: it turns a garbled, truncated
/// or hand-edited cursor into a clear <see cref="ArgumentException"/> instead of a silently wrong page. A forged cursor
/// gains nothing, because a cursor holds no account: the reader takes the account from the query, always.
/// </remarks>
internal static class ActivityLogCursor
{
    private const byte Version = 1;
    private const int PayloadLength = 1 + sizeof(long) + 16;
    private const int ChecksumLength = 4;
    private const int ByteLength = PayloadLength + ChecksumLength;

    /// <summary>The length of every cursor this version writes.</summary>
    private static readonly int TextLength = Base64Url.GetEncodedLength(ByteLength);

    public static string Encode(KeysetPosition position)
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], position.OccurredAt.Ticks);
        position.Id.TryWriteBytes(bytes.Slice(1 + sizeof(long), 16), bigEndian: true, out _);
        WriteChecksum(bytes[..PayloadLength], bytes[PayloadLength..]);
        return Base64Url.EncodeToString(bytes);
    }

    /// <exception cref="ArgumentException">The text is not a cursor this version wrote, or was altered.</exception>
    public static KeysetPosition Decode(string cursor)
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        if (cursor.Length != TextLength || !Base64Url.IsValid(cursor) ||
            !Base64Url.TryDecodeFromChars(cursor, bytes, out int written) || written != ByteLength)
        {
            throw Invalid("it is not a cursor this reader issued");
        }

        // Only the canonical spelling: base64url leaves spare bits in the last character, and an edited cursor that
        // happens to decode to the same bytes is still not one this reader issued.
        if (!string.Equals(Base64Url.EncodeToString(bytes), cursor, StringComparison.Ordinal))
        {
            throw Invalid("it was altered or garbled");
        }

        if (bytes[0] != Version)
        {
            throw Invalid("it was written by another version of the reader");
        }

        Span<byte> checksum = stackalloc byte[ChecksumLength];
        WriteChecksum(bytes[..PayloadLength], checksum);
        if (!checksum.SequenceEqual(bytes[PayloadLength..]))
        {
            throw Invalid("it was altered or garbled");
        }

        long ticks = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        if (ticks is < 0 || ticks > DateTime.MaxValue.Ticks)
        {
            throw Invalid("its time is out of range");
        }

        return new KeysetPosition(new DateTime(ticks, DateTimeKind.Utc), new Guid(bytes.Slice(1 + sizeof(long), 16), bigEndian: true));
    }

    private static void WriteChecksum(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(payload, hash);
        hash[..destination.Length].CopyTo(destination);
    }

    // The cursor is not quoted: it came from a client and belongs in no log line or error page.
    private static ArgumentException Invalid(string why) =>
        new($"The activity log cursor is invalid: {why}. Pass the NextCursor of a page unchanged, or no cursor for the first page.", "query");
}

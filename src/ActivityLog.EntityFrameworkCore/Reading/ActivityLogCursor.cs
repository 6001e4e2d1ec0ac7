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
/// The opaque page cursor: base64url of a version byte (2), the order byte (<see cref="ActivityLogOrder"/>), the
/// position's UTC ticks, its id and a 4-byte checksum. Version 1 cursors (no order byte, issued before the reader had an
/// order) still decode, as newest first.
/// </summary>
/// <remarks>
/// The checksum (the first bytes of a SHA-256 of the rest) is no secret and no signature: it turns a garbled, truncated
/// or hand-edited cursor into a clear <see cref="ArgumentException"/> instead of a silently wrong page. A forged cursor
/// gains nothing, because a cursor holds no account: the reader takes the account from the query, always. The order is
/// in the cursor because a position means "after this event" only in one direction: a newest-first cursor handed to an
/// oldest-first query would skip the whole time line on one side of it.
/// </remarks>
internal static class ActivityLogCursor
{
    private const byte Version = 2;
    private const byte Version1 = 1;
    private const int ChecksumLength = 4;
    private const int PositionLength = sizeof(long) + 16;

    /// <summary>Version, order, position, checksum.</summary>
    private const int ByteLength = 2 + PositionLength + ChecksumLength;

    /// <summary>Version 1: version, position, checksum.</summary>
    private const int Version1ByteLength = 1 + PositionLength + ChecksumLength;

    private static readonly int TextLength = Base64Url.GetEncodedLength(ByteLength);
    private static readonly int Version1TextLength = Base64Url.GetEncodedLength(Version1ByteLength);

    public static string Encode(KeysetPosition position, ActivityLogOrder order)
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        bytes[0] = Version;
        bytes[1] = (byte)order;
        WritePosition(position, bytes[2..]);
        WriteChecksum(bytes[..^ChecksumLength], bytes[^ChecksumLength..]);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The position and the order the cursor was issued for.</summary>
    /// <exception cref="ArgumentException">The text is not a cursor this reader wrote, or was altered.</exception>
    public static (KeysetPosition Position, ActivityLogOrder Order) Decode(string cursor)
    {
        int length = cursor.Length == TextLength ? ByteLength : cursor.Length == Version1TextLength ? Version1ByteLength : 0;
        Span<byte> buffer = stackalloc byte[ByteLength];
        var bytes = buffer[..length];
        if (length == 0 || !Base64Url.IsValid(cursor) ||
            !Base64Url.TryDecodeFromChars(cursor, bytes, out int written) || written != length)
        {
            throw Invalid("it is not a cursor this reader issued");
        }

        // Only the canonical spelling: base64url leaves spare bits in the last character, and an edited cursor that
        // happens to decode to the same bytes is still not one this reader issued.
        if (!string.Equals(Base64Url.EncodeToString(bytes), cursor, StringComparison.Ordinal))
        {
            throw Invalid("it was altered or garbled");
        }

        if (bytes[0] != (length == ByteLength ? Version : Version1))
        {
            throw Invalid("it was written by another version of the reader");
        }

        Span<byte> checksum = stackalloc byte[ChecksumLength];
        WriteChecksum(bytes[..^ChecksumLength], checksum);
        if (!checksum.SequenceEqual(bytes[^ChecksumLength..]))
        {
            throw Invalid("it was altered or garbled");
        }

        var order = ActivityLogOrder.NewestFirst;
        if (length == ByteLength)
        {
            order = (ActivityLogOrder)bytes[1];
            if (!Enum.IsDefined(order))
            {
                throw Invalid("its order is unknown");
            }
        }

        var position = bytes[(length == ByteLength ? 2 : 1)..^ChecksumLength];
        long ticks = BinaryPrimitives.ReadInt64BigEndian(position);
        if (ticks is < 0 || ticks > DateTime.MaxValue.Ticks)
        {
            throw Invalid("its time is out of range");
        }

        return (new KeysetPosition(new DateTime(ticks, DateTimeKind.Utc), new Guid(position.Slice(sizeof(long), 16), bigEndian: true)), order);
    }

    private static void WritePosition(KeysetPosition position, Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, position.OccurredAt.Ticks);
        position.Id.TryWriteBytes(destination.Slice(sizeof(long), 16), bigEndian: true, out _);
    }

    private static void WriteChecksum(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(payload, hash);
        hash[..destination.Length].CopyTo(destination);
    }

    // The cursor is not quoted: it came from a client and belongs in no log line or error page.
    internal static ArgumentException Invalid(string why) =>
        new($"The activity log cursor is invalid: {why}. Pass the NextCursor of a page unchanged, or no cursor for the first page.", "query");
}

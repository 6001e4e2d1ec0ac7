using System.Buffers.Binary;

namespace ActivityLog.Internal;

/// <summary>
/// Makes RFC 9562 version 7 GUIDs that are strictly increasing within a process (method 1: a counter seeded at random
/// each millisecond in <c>rand_a</c> and the top of <c>rand_b</c>).
/// </summary>
/// <remarks>
/// Written by hand because <see cref="Guid.CreateVersion7()"/> asks the OS for randomness on every call (one system
/// call per id, about 2.3 µs on these machines) and orders ids only to the millisecond. Here the random bits come from
/// <see cref="Random.Shared"/> (seeded once), and the pipeline calls this on its own thread, off the recording path.
/// </remarks>
internal sealed class ActivityIdGenerator
{
    private const long CounterMask = (1L << 42) - 1;

    private readonly Lock _gate = new();
    private long _lastMilliseconds = -1;
    private long _counter;

    public Guid Next(DateTimeOffset timestamp)
    {
        long milliseconds = Math.Max(0, timestamp.ToUnixTimeMilliseconds());
        long counter;
        lock (_gate)
        {
            if (milliseconds > _lastMilliseconds)
            {
                _lastMilliseconds = milliseconds;
                // Seed below half of the range so a burst within one millisecond has room to count up.
                _counter = Random.Shared.NextInt64(0, 1L << 41);
            }
            else
            {
                // Same millisecond (or a clock that stepped back): keep counting so ids stay increasing.
                _counter++;
                if (_counter > CounterMask)
                {
                    _lastMilliseconds++;
                    _counter = 0;
                }
            }

            milliseconds = _lastMilliseconds;
            counter = _counter;
        }

        Span<byte> bytes = stackalloc byte[16];
        // unix_ts_ms: 48 bits, big endian.
        BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16);
        // ver (4 bits) = 7, rand_a (12 bits) = counter high bits.
        ushort randA = (ushort)(0x7000 | (int)((counter >> 30) & 0x0FFF));
        BinaryPrimitives.WriteUInt16BigEndian(bytes[6..], randA);
        // var (2 bits) = 0b10, then 30 counter bits, then 32 random bits.
        ulong randB = (0b10UL << 62) | ((ulong)(counter & 0x3FFF_FFFF) << 32) | (uint)Random.Shared.Next();
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], randB);
        return new Guid(bytes, bigEndian: true);
    }
}

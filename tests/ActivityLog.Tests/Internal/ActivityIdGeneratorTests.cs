using System.Buffers.Binary;
using System.Reflection;
using ActivityLog.Internal;

namespace ActivityLog.Tests.Internal;

/// <summary>RFC 9562 version 7 ids: version and variant bits, embedded time, strict monotonicity, uniqueness.</summary>
public sealed class ActivityIdGeneratorTests
{
    private static readonly DateTimeOffset T0 = new(2024, 12, 9, 10, 11, 24, 123, TimeSpan.Zero);

    [Fact]
    public void Ids_are_version_7_with_the_rfc_variant()
    {
        var generator = new ActivityIdGenerator();

        for (int i = 0; i < 1_000; i++)
        {
            var id = generator.Next(T0.AddMilliseconds(i / 10));
            byte[] bytes = id.ToByteArray(bigEndian: true);

            id.Version.Should().Be(7);
            (bytes[6] >> 4).Should().Be(7);
            (bytes[8] >> 6).Should().Be(0b10, "the variant bits are 10");
            (id.Variant & 0b1100).Should().Be(0b1000);
        }
    }

    [Fact]
    public void Embedded_timestamp_is_the_unix_milliseconds_of_the_given_time()
    {
        foreach (var time in new[] { T0, T0.AddMilliseconds(1), T0.AddDays(3).AddMilliseconds(7), DateTimeOffset.UnixEpoch.AddMilliseconds(1) })
        {
            UnixMilliseconds(new ActivityIdGenerator().Next(time)).Should().Be(time.ToUnixTimeMilliseconds());
        }

        var generator = new ActivityIdGenerator();
        for (int i = 0; i < 100; i++)
        {
            var time = T0.AddMilliseconds(i * 37);
            UnixMilliseconds(generator.Next(time)).Should().Be(time.ToUnixTimeMilliseconds());
        }
    }

    [Fact]
    public void Embedded_timestamp_ignores_the_offset()
    {
        var generator = new ActivityIdGenerator();
        var local = new DateTimeOffset(2024, 12, 9, 12, 11, 24, 500, TimeSpan.FromHours(2));

        UnixMilliseconds(generator.Next(local)).Should().Be(local.UtcDateTime.Subtract(DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond);
    }

    [Fact]
    public void Guid_CompareTo_and_N_format_both_follow_big_endian_byte_order()
    {
        // Establishes which comparisons the ordering tests may rely on.
        var random = new Random(42);
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        for (int i = 0; i < 10_000; i++)
        {
            random.NextBytes(a);
            random.NextBytes(b);
            if (i % 3 == 0)
            {
                a[..(i % 16)].CopyTo(b);
            }

            var left = new Guid(a, bigEndian: true);
            var right = new Guid(b, bigEndian: true);
            int expected = Math.Sign(a.SequenceCompareTo(b));

            Math.Sign(left.CompareTo(right)).Should().Be(expected);
            Math.Sign(string.CompareOrdinal(left.ToString("N"), right.ToString("N"))).Should().Be(expected);
        }
    }

    [Fact]
    public void Ids_in_the_same_millisecond_are_strictly_increasing()
    {
        var generator = new ActivityIdGenerator();

        var ids = Enumerable.Range(0, 10_000).Select(_ => generator.Next(T0)).ToArray();

        ShouldBeStrictlyIncreasing(ids);
        ids.Should().OnlyContain(id => UnixMilliseconds(id) == T0.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void Ids_across_milliseconds_are_strictly_increasing()
    {
        var generator = new ActivityIdGenerator();

        var ids = Enumerable.Range(0, 10_000).Select(i => generator.Next(T0.AddMilliseconds(i / 7))).ToArray();

        ShouldBeStrictlyIncreasing(ids);
    }

    [Fact]
    public void A_clock_that_steps_back_still_yields_increasing_ids()
    {
        var generator = new ActivityIdGenerator();
        var times = new[] { T0, T0.AddMilliseconds(5), T0.AddMilliseconds(5), T0.AddMilliseconds(2), T0.AddSeconds(-10), T0, T0.AddMilliseconds(5), T0.AddMilliseconds(6), T0.AddMilliseconds(1) };

        var ids = times.Select(generator.Next).ToArray();

        ShouldBeStrictlyIncreasing(ids);
        // While the clock is behind, ids keep the latest time seen rather than going back.
        UnixMilliseconds(ids[4]).Should().Be(T0.AddMilliseconds(5).ToUnixTimeMilliseconds());
        UnixMilliseconds(ids[7]).Should().Be(T0.AddMilliseconds(6).ToUnixTimeMilliseconds());
        UnixMilliseconds(ids[8]).Should().Be(T0.AddMilliseconds(6).ToUnixTimeMilliseconds());
    }

    [Fact]
    public void Counter_overflow_within_a_millisecond_moves_to_the_next_millisecond_and_stays_increasing()
    {
        var generator = new ActivityIdGenerator();
        var first = generator.Next(T0);
        const long counterMask = (1L << 42) - 1;
        typeof(ActivityIdGenerator).GetField("_counter", BindingFlags.NonPublic | BindingFlags.Instance)!.SetValue(generator, counterMask - 1);

        var atMax = generator.Next(T0);
        var overflowed = generator.Next(T0);

        atMax.CompareTo(first).Should().BePositive();
        overflowed.CompareTo(atMax).Should().BePositive();
        UnixMilliseconds(atMax).Should().Be(T0.ToUnixTimeMilliseconds());
        UnixMilliseconds(overflowed).Should().Be(T0.ToUnixTimeMilliseconds() + 1);
        overflowed.Version.Should().Be(7);
    }

    [Fact]
    public void One_hundred_thousand_ids_are_unique()
    {
        var generator = new ActivityIdGenerator();
        var start = DateTimeOffset.UtcNow;

        var ids = Enumerable.Range(0, 100_000).Select(i => generator.Next(start.AddMilliseconds(i / 1_000))).ToArray();

        ids.Distinct().Should().HaveCount(100_000);
    }

    [Fact]
    public void Separate_generators_in_the_same_millisecond_do_not_collide()
    {
        var ids = Enumerable.Range(0, 1_000).Select(_ => new ActivityIdGenerator().Next(T0)).ToArray();

        ids.Distinct().Should().HaveCount(ids.Length);
    }

    [Fact]
    public void Concurrent_callers_get_unique_ids()
    {
        var generator = new ActivityIdGenerator();
        var perThread = new Guid[8][];

        Parallel.For(0, perThread.Length, t =>
        {
            var ids = new Guid[10_000];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = generator.Next(T0);
            }

            perThread[t] = ids;
        });

        perThread.SelectMany(ids => ids).Distinct().Should().HaveCount(80_000);
        foreach (var ids in perThread)
        {
            ShouldBeStrictlyIncreasing(ids);
        }
    }

    [Fact]
    public void Time_before_the_epoch_is_clamped_to_zero()
    {
        var id = new ActivityIdGenerator().Next(DateTimeOffset.UnixEpoch.AddDays(-1));

        UnixMilliseconds(id).Should().Be(0);
        id.Version.Should().Be(7);
    }

    private static long UnixMilliseconds(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _).Should().BeTrue();
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes) >> 16);
    }

    private static void ShouldBeStrictlyIncreasing(Guid[] ids)
    {
        for (int i = 1; i < ids.Length; i++)
        {
            if (ids[i].CompareTo(ids[i - 1]) <= 0)
            {
                Assert.Fail($"id {i} ({ids[i]}) is not greater than id {i - 1} ({ids[i - 1]}).");
            }
        }
    }
}

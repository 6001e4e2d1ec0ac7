using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActivityLog.Values;

/// <summary>
/// Turns the loosely typed values of changes and metadata into what every sink can rely on and every store can hold:
/// JSON primitives stay CLR values, everything nested becomes a <see cref="JsonNode"/> tree that the pipeline owns (a
/// snapshot: the caller may change its objects after <c>Record</c> returns), within <see cref="ActivityValueLimits"/>,
/// with text that <see cref="StorableText"/> accepts and only finite numbers.
/// </summary>
/// <remarks>
/// Two modes, one rule set. <see cref="Snapshot(ReadOnlySpan{ActivityChange}, out int)"/> runs inside <c>Record</c> and refuses
/// what breaks a rule with an <see cref="ArgumentException"/> naming the field; only where the input cannot be measured
/// up front (a lazy sequence) it truncates, with <see cref="ActivityValueLimits.TruncatedMarker"/>. <see cref="Repair"/>
/// runs in the pipeline for events that did not come through <c>Record</c> (captured entity changes, which must never
/// fail the host's <c>SaveChanges</c>) and normalises by the documented rule instead: bad characters become U+FFFD,
/// non-finite numbers their names as strings, what is too deep, too long or too big the marker.
/// Primitive values cost a type check and, for strings, one vectorized scan: no allocation.
/// </remarks>
internal sealed partial class ActivityValueNormalizer
{
    private readonly ActivityValueLimits _limits;
    private readonly PlainObjects _objects;
    private readonly string _mask;

    /// <param name="mask">The redactor's mask, written for what cannot be inspected.</param>
    /// <param name="limits">The limits.</param>
    /// <param name="shapes">Plain object types registered for trimmed and native AOT apps (none when null).</param>
    /// <param name="maskedWhole">Counts and logs values masked whole (not counted when null).</param>
    /// <param name="reflection">
    /// <see langword="false"/> writes plain objects as a trimmed or native AOT app does, without the reflection
    /// serializer (tests prove that path on the JIT with it); <see langword="true"/> uses it where the runtime allows.
    /// </param>
    public ActivityValueNormalizer(
        string mask,
        ActivityValueLimits limits,
        IReadOnlyDictionary<Type, PlainObjectShape>? shapes = null,
        MaskedWholeValues? maskedWhole = null,
        bool reflection = true)
    {
        _limits = limits;
        _mask = mask;
        _objects = new PlainObjects(mask, limits.MaxDepth, shapes ?? new Dictionary<Type, PlainObjectShape>(), maskedWhole, reflection);
    }

    /// <summary>Whether a value is a JSON primitive that passes through as it is.</summary>
    public static bool IsPrimitive(object? value) => value switch
    {
        null or string or bool or int or long or short or byte or sbyte or ushort or uint or ulong or float or double or decimal => true,
        DateTimeOffset or DateTime or DateOnly or TimeOnly or TimeSpan or Guid or Enum => true,
        _ => false,
    };

    /// <summary>Copies the changes, checking every value and snapshotting every non-primitive one. Throws <see cref="ArgumentException"/>.</summary>
    public ActivityChange[] Snapshot(ReadOnlySpan<ActivityChange> changes, out int size)
    {
        // An empty span's ToArray is Array.Empty: no allocation for events without changes.
        var copy = changes.ToArray();

        // The common case, every value a storable primitive within the size limit, in one tight loop; anything else
        // (a nested value, a bad text, a non-finite number, too much) goes through the walk, which is the authority.
        size = 0;
        bool simple = true;
        for (int i = 0; i < copy.Length && simple; i++)
        {
            size += copy[i].Field.Length + 3;
            simple = IsSimple(copy[i].From, ref size) && IsSimple(copy[i].To, ref size);
        }

        if (simple && size <= _limits.MaxEventSize)
        {
            return copy;
        }

        size = SnapshotWalk(copy);
        return copy;
    }

    /// <summary>
    /// The walk over every change, for what the fast loop could not pass. A method of its own so that the fast path's
    /// frame stays small: inlined, the walk's struct locals were zeroed on every <c>Record</c>, about a third of its cost.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int SnapshotWalk(ActivityChange[] copy)
    {
        var walk = new Walk(this, repair: false);
        for (int i = 0; i < copy.Length; i++)
        {
            var change = copy[i];
            walk.Name(change.Field, "changes");
            object? from = walk.Top(change.From, Segment.Change(change.Field, "from"));
            object? to = walk.Top(change.To, Segment.Change(change.Field, "to"));
            if (!ReferenceEquals(from, change.From) || !ReferenceEquals(to, change.To))
            {
                copy[i] = change with { From = from, To = to };
            }
        }

        return walk.Size;
    }

    /// <summary>A storable primitive, counted as the walk counts it: no allocation, no exception.</summary>
    private static bool IsSimple(object? value, ref int size)
    {
        switch (value)
        {
            case null:
                size += 4;
                return true;
            case string s:
                size += s.Length + 2;
                return StorableText.IsStorable(s);
            case double d:
                size += 24;
                return double.IsFinite(d);
            case float f:
                size += 24;
                return float.IsFinite(f);
            default:
                size += 24;
                return IsPrimitive(value);
        }
    }

    /// <summary>
    /// Copies the metadata (keys checked by the caller), snapshotting every non-primitive value; the size budget starts
    /// at what the changes used. Throws <see cref="ArgumentException"/>.
    /// </summary>
    public Dictionary<string, object?>? Snapshot(IReadOnlyDictionary<string, object?>? metadata, int changesSize)
    {
        if (metadata is null)
        {
            return null;
        }

        var walk = new Walk(this, repair: false, changesSize);
        var copy = new Dictionary<string, object?>(metadata.Count, StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            walk.Name(key, "metadata");
            copy[key] = walk.Top(value, Segment.Metadata(key));
        }

        return copy;
    }

    /// <summary>
    /// Normalises the values of an event that did not come through <c>Record</c>: copies, repairs and bounds them, never
    /// throws for a value. Returns the same instances when there was nothing to change.
    /// </summary>
    public (IReadOnlyList<ActivityChange> Changes, IReadOnlyDictionary<string, object?>? Metadata, int Repaired) Repair(
        IReadOnlyList<ActivityChange> changes, IReadOnlyDictionary<string, object?>? metadata)
    {
        var walk = new Walk(this, repair: true);
        ActivityChange[]? newChanges = null;
        for (int i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            string field = walk.Text(change.Field);
            object? from = walk.Top(change.From, Segment.Change(field, "from"));
            object? to = walk.Top(change.To, Segment.Change(field, "to"));
            if (!ReferenceEquals(from, change.From) || !ReferenceEquals(to, change.To) || !ReferenceEquals(field, change.Field))
            {
                newChanges ??= [.. changes];
                newChanges[i] = new ActivityChange(field, from, to);
            }
        }

        Dictionary<string, object?>? newMetadata = null;
        if (metadata is not null)
        {
            newMetadata = new Dictionary<string, object?>(metadata.Count, StringComparer.Ordinal);
            foreach (var (key, value) in metadata)
            {
                string safeKey = walk.Text(key);
                newMetadata[safeKey] = walk.Top(value, Segment.Metadata(safeKey));
            }
        }

        IReadOnlyList<ActivityChange> resultChanges = newChanges ?? changes;
        IReadOnlyDictionary<string, object?>? resultMetadata = newMetadata;
        if (walk.Size > _limits.MaxEventSize)
        {
            (resultChanges, resultMetadata) = walk.Shrink(resultChanges, newMetadata);
        }

        return (resultChanges, resultMetadata, walk.Repaired);
    }

    /// <summary>
    /// Where in an event a value sits, for the exception message: never the value itself. The text is built only when a
    /// value is refused, so checking an event allocates nothing.
    /// </summary>
    private readonly record struct Segment(string Field, string Name, string? Side)
    {
        public static Segment Change(string field, string side) => new("changes", field, side);

        public static Segment Metadata(string key) => new("metadata", key, null);

        public string Describe() => Side is null ? $"The metadata value '{Name}'" : $"The '{Side}' value of the change '{Name}'";
    }

    private static string Named(double d) => d.ToString(CultureInfo.InvariantCulture);
}

using System.ComponentModel.DataAnnotations;

namespace ActivityLog;

/// <summary>
/// Bounds on the values of changes and metadata, so one call can neither fill a store nor stall the pipeline.
/// Bindable from configuration (section <c>ActivityLog:Limits</c>); checked inside <c>Record</c>, which refuses a value
/// that breaks one with an <see cref="ArgumentException"/> naming the field. Only a lazy sequence, whose length cannot
/// be known without reading it, is cut at <see cref="MaxCollectionLength"/> and ends with <see cref="TruncatedMarker"/>.
/// Events that do not come through <c>Record</c> (captured entity changes) are cut the same way instead of refused.
/// </summary>
public sealed class ActivityValueLimits
{
    /// <summary>The string that marks where a value was cut: the last element of a cut sequence, or the whole value.</summary>
    public const string TruncatedMarker = "[TRUNCATED]";

    /// <summary>
    /// The most characters an event's change and metadata values (with their field names and keys) may take as JSON,
    /// counted before escaping.
    /// </summary>
    /// <value>262,144 (256 Ki characters). Between 1,024 and 16,777,216.</value>
    [Range(1_024, 16_777_216)]
    public int MaxEventSize { get; set; } = 262_144;

    /// <summary>The most elements in one list, or entries in one dictionary or JSON object, at any depth.</summary>
    /// <value>1,000. Between 1 and 100,000.</value>
    [Range(1, 100_000)]
    public int MaxCollectionLength { get; set; } = 1_000;

    /// <summary>The deepest nesting of lists and objects inside one value (a top-level list is depth 1).</summary>
    /// <value>32. Between 1 and 64.</value>
    [Range(1, 64)]
    public int MaxDepth { get; set; } = 32;
}

namespace ActivityLog;

/// <summary>
/// Rewrites a leaf value that no filter masked, for example to keep only the last four digits of a card number.
/// </summary>
/// <remarks>
/// Called for every leaf (string, number, boolean, date, GUID, enum or <see langword="null"/>) of changes, context,
/// metadata and nested JSON, never for a value that a filter already masked. Values nested in JSON arrive as CLR
/// primitives (<see cref="string"/>, <see cref="long"/>, <see cref="decimal"/> or <see cref="double"/>,
/// <see cref="bool"/>). Return <paramref name="value"/> unchanged when the key is not yours. Rewriters run in the order
/// they were added, each one receiving the previous one's result. Must be thread-safe. If a rewriter throws, the value
/// is replaced by the mask and the exception's message is not logged, because it may contain the value.
/// </remarks>
/// <param name="key">The key of the leaf (for an array element, the key of the array). Never a dotted path.</param>
/// <param name="value">The leaf value.</param>
/// <returns>The value to record in place of <paramref name="value"/>.</returns>
public delegate object? SensitiveValueRewriter(string key, object? value);

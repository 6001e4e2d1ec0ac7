namespace ActivityLog;

/// <summary>
/// The size limits every recorded activity must keep; breaking one throws an <see cref="ArgumentException"/> that
/// names the field. They keep one bad call from filling a store or a webhook payload.
/// </summary>
public static class ActivityLimits
{
    /// <summary>Longest event name: 200 characters.</summary>
    public const int MaxEventNameLength = 200;

    /// <summary>Longest actor or resource type: 100 characters.</summary>
    public const int MaxTypeLength = 100;

    /// <summary>Longest actor or resource id, and account id: 200 characters.</summary>
    public const int MaxIdLength = 200;

    /// <summary>Longest actor or resource display name: 500 characters.</summary>
    public const int MaxNameLength = 500;

    /// <summary>Longest change field name or metadata key: 200 characters.</summary>
    public const int MaxFieldNameLength = 200;

    /// <summary>Most changes on one event: 500.</summary>
    public const int MaxChanges = 500;

    /// <summary>Most related resources on one event: 50.</summary>
    public const int MaxRelatedResources = 50;

    /// <summary>Longest context value (IP address, user agent, auth method, correlation id): 1,000 characters.</summary>
    public const int MaxContextValueLength = 1000;

    /// <summary>
    /// Makes a text that comes from outside the app (a header, a claim) acceptable to <c>Record</c> and
    /// <see cref="ActivityScope.Begin"/>: cuts it to <paramref name="maxLength"/> characters without splitting a
    /// surrogate pair, and replaces each NUL character and lone surrogate with U+FFFD. Host integrations use it so that a
    /// crafted request can never make recording throw.
    /// </summary>
    /// <param name="value">The text, or <see langword="null"/>.</param>
    /// <param name="maxLength">The limit, such as <see cref="MaxContextValueLength"/>.</param>
    /// <returns>The same instance when it already fits, else the fitted copy; <see langword="null"/> for <see langword="null"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 1.</exception>
    public static string? Fit(string? value, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (value is null)
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            // Never end on the first half of a pair: that would leave a lone surrogate.
            int cut = char.IsHighSurrogate(value[maxLength - 1]) ? maxLength - 1 : maxLength;
            value = value[..cut];
        }

        return Values.StorableText.Repair(value);
    }
}

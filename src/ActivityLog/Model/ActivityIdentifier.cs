using System.Globalization;

namespace ActivityLog;

/// <summary>
/// An id that is either a string or a number, stored without formatting so that recording allocates nothing;
/// formatting happens only when something reads <see cref="ToString"/>. Two fields: a numeric id is marked by a
/// sentinel in the text field, which keeps actors and resources (and so every event) small.
/// </summary>
internal readonly struct ActivityIdentifier : IEquatable<ActivityIdentifier>
{
    private static readonly string NumberMarker = new('#', 1);

    private readonly string? _text;

    public ActivityIdentifier(string? text)
    {
        _text = text;
        Number = 0;
    }

    public ActivityIdentifier(long number)
    {
        _text = NumberMarker;
        Number = number;
    }

    public long Number { get; }

    public bool IsNumber => ReferenceEquals(_text, NumberMarker);

    public bool IsEmpty => _text is null;

    public int Length => IsNumber ? 20 : _text?.Length ?? 0;

    public override string? ToString() => IsNumber ? Number.ToString(CultureInfo.InvariantCulture) : _text;

    public bool Equals(ActivityIdentifier other) =>
        Number == other.Number && (ReferenceEquals(_text, other._text) || (!IsNumber && !other.IsNumber && string.Equals(_text, other._text, StringComparison.Ordinal)));

    public override bool Equals(object? obj) => obj is ActivityIdentifier other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(IsNumber ? null : _text, Number);
}

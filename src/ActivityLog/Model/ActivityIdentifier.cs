using System.Globalization;

namespace ActivityLog;

/// <summary>
/// An id that is either a string or a number, stored without formatting so that recording allocates nothing;
/// formatting happens only when something reads <see cref="ToString"/>.
/// </summary>
internal readonly struct ActivityIdentifier : IEquatable<ActivityIdentifier>
{
    private readonly string? _text;

    public ActivityIdentifier(string? text)
    {
        _text = text;
        Number = 0;
        IsNumber = false;
    }

    public ActivityIdentifier(long number)
    {
        _text = null;
        Number = number;
        IsNumber = true;
    }

    public long Number { get; }

    public bool IsNumber { get; }

    public bool IsEmpty => _text is null && !IsNumber;

    public int Length => IsNumber ? 20 : _text?.Length ?? 0;

    public override string? ToString() => IsNumber ? Number.ToString(CultureInfo.InvariantCulture) : _text;

    public bool Equals(ActivityIdentifier other) =>
        IsNumber == other.IsNumber && Number == other.Number && string.Equals(_text, other._text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is ActivityIdentifier other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_text, Number, IsNumber);
}

namespace ActivityLog;

/// <summary>
/// The thing an activity was done to ("the webhook Logging"), or a resource related to it ("from Transactional").
/// </summary>
/// <remarks>
/// A value type so that recording allocates nothing for it. The id is always written to JSON as a string, as in
/// the seed payload (<c>"id": "783"</c>), even when it was given as a number.
/// </remarks>
public readonly struct ActivityResource : IEquatable<ActivityResource>
{
    private readonly ActivityIdentifier _id;

    /// <summary>Creates a resource.</summary>
    /// <param name="type">The resource type in snake_case, such as <c>user</c> or <c>webhook</c>. Not empty.</param>
    /// <param name="id">The resource id, or <see langword="null"/>.</param>
    /// <param name="name">The display name used in sentences, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="type"/> is empty or whitespace.</exception>
    public ActivityResource(string type, string? id, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        Type = type;
        _id = new ActivityIdentifier(id);
        Name = name;
    }

    /// <summary>Creates a resource with a numeric id (written to JSON as a string).</summary>
    /// <param name="type">The resource type in snake_case, such as <c>user</c> or <c>webhook</c>. Not empty.</param>
    /// <param name="id">The resource id.</param>
    /// <param name="name">The display name used in sentences, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="type"/> is empty or whitespace.</exception>
    public ActivityResource(string type, long id, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        Type = type;
        _id = new ActivityIdentifier(id);
        Name = name;
    }

    /// <summary>The resource type, such as <c>user</c>; <see langword="null"/> only for <c>default</c>.</summary>
    public string? Type { get; }

    /// <summary>The id as a string, or <see langword="null"/>.</summary>
    public string? Id => _id.ToString();

    /// <summary>The display name, or <see langword="null"/>.</summary>
    public string? Name { get; }

    internal ActivityIdentifier Identifier => _id;

    /// <summary>Type, id and name are equal. A resource id is text in the contract, so 42 and "42" are the same id.</summary>
    /// <param name="other">The other resource.</param>
    /// <returns>Whether both name the same resource the same way.</returns>
    public bool Equals(ActivityResource other) =>
        string.Equals(Type, other.Type, StringComparison.Ordinal) && string.Equals(Id, other.Id, StringComparison.Ordinal) &&
        string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ActivityResource other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, Id, Name);

    /// <inheritdoc />
    public override string ToString() => $"{Type}:{Id} ({Name})";

    /// <summary>Compares two resources by value.</summary>
    /// <param name="left">The first resource.</param>
    /// <param name="right">The second resource.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(ActivityResource left, ActivityResource right) => left.Equals(right);

    /// <summary>Compares two resources by value.</summary>
    /// <param name="left">The first resource.</param>
    /// <param name="right">The second resource.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(ActivityResource left, ActivityResource right) => !left.Equals(right);
}

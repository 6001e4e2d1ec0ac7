using System.Globalization;

namespace ActivityLog;

/// <summary>
/// Who performed an activity: a user, an API token, the system, or an unknown caller (shown as "Someone").
/// </summary>
/// <remarks>
/// A value type so that recording an activity allocates nothing for its actor. The <c>default</c> value is the
/// unknown actor. A numeric id keeps its JSON type: an actor created with a <see cref="long"/> id is written as a
/// JSON number, one created with a <see cref="string"/> id as a JSON string.
/// </remarks>
public readonly struct ActivityActor : IEquatable<ActivityActor>
{
    private readonly string? _type;
    private readonly ActivityIdentifier _id;

    /// <summary>Creates an actor of any type.</summary>
    /// <param name="type">The actor type, such as <c>user</c>, <c>api_token</c> or <c>system</c>. Not empty.</param>
    /// <param name="id">The actor's id as a string, or <see langword="null"/> (a system actor may have none).</param>
    /// <param name="name">The display name used in sentences ("John Doe removed …"), or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="type"/> is empty or whitespace.</exception>
    public ActivityActor(string type, string? id, string? name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        _type = type;
        _id = new ActivityIdentifier(id);
        Name = name;
    }

    /// <summary>Creates an actor of any type with a numeric id, written to JSON as a number.</summary>
    /// <param name="type">The actor type, such as <c>user</c> or <c>api_token</c>. Not empty.</param>
    /// <param name="id">The numeric id.</param>
    /// <param name="name">The display name used in sentences, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="type"/> is empty or whitespace.</exception>
    public ActivityActor(string type, long id, string? name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        _type = type;
        _id = new ActivityIdentifier(id);
        Name = name;
    }

    /// <summary>The unknown actor: the sentence starts with "Someone". Same as <c>default</c>.</summary>
    public static ActivityActor Unknown => default;

    /// <summary>A user with a numeric id (written as a JSON number, as in the seed payload).</summary>
    /// <param name="id">The user's id.</param>
    /// <param name="name">The user's display name.</param>
    /// <returns>The actor.</returns>
    public static ActivityActor User(long id, string? name) => new(ActivityActorTypes.User, id, name);

    /// <summary>A user with a string id.</summary>
    /// <param name="id">The user's id.</param>
    /// <param name="name">The user's display name.</param>
    /// <returns>The actor.</returns>
    public static ActivityActor User(string id, string? name) => new(ActivityActorTypes.User, id, name);

    /// <summary>An API token acting on behalf of an integration.</summary>
    /// <param name="id">The token's id (never the token itself).</param>
    /// <param name="name">The token's display name.</param>
    /// <returns>The actor.</returns>
    public static ActivityActor ApiToken(string id, string? name) => new(ActivityActorTypes.ApiToken, id, name);

    /// <summary>An API token with a numeric id.</summary>
    /// <param name="id">The token's id (never the token itself).</param>
    /// <param name="name">The token's display name.</param>
    /// <returns>The actor.</returns>
    public static ActivityActor ApiToken(long id, string? name) => new(ActivityActorTypes.ApiToken, id, name);

    /// <summary>The system itself (a scheduled job, a migration), identified by name only.</summary>
    /// <param name="name">What acted, for example <c>Nightly cleanup</c>.</param>
    /// <returns>The actor.</returns>
    public static ActivityActor System(string name) => new(ActivityActorTypes.System, (string?)null, name);

    /// <summary>The actor type (<c>user</c>, <c>api_token</c>, <c>system</c>, …), or <c>unknown</c>.</summary>
    public string Type => _type ?? ActivityActorTypes.Unknown;

    /// <summary>Whether this is the unknown actor.</summary>
    public bool IsUnknown => _type is null;

    /// <summary>The id as a string (numeric ids are formatted invariantly), or <see langword="null"/>.</summary>
    public string? Id => _id.ToString();

    /// <summary>Whether the id was given as a number and is written to JSON as a number.</summary>
    public bool HasNumericId => _id.IsNumber;

    /// <summary>The numeric id when <see cref="HasNumericId"/> is <see langword="true"/>; otherwise <see langword="null"/>.</summary>
    public long? NumericId => _id.IsNumber ? _id.Number : null;

    /// <summary>The display name, or <see langword="null"/>.</summary>
    public string? Name { get; }

    internal ActivityIdentifier Identifier => _id;

    /// <inheritdoc />
    public bool Equals(ActivityActor other) =>
        string.Equals(_type, other._type, StringComparison.Ordinal) && _id.Equals(other._id) &&
        string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ActivityActor other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_type, _id, Name);

    /// <inheritdoc />
    public override string ToString() =>
        IsUnknown ? ActivityActorTypes.Unknown : string.Create(CultureInfo.InvariantCulture, $"{Type}:{Id} ({Name})");

    /// <summary>Compares two actors by value.</summary>
    /// <param name="left">The first actor.</param>
    /// <param name="right">The second actor.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(ActivityActor left, ActivityActor right) => left.Equals(right);

    /// <summary>Compares two actors by value.</summary>
    /// <param name="left">The first actor.</param>
    /// <param name="right">The second actor.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(ActivityActor left, ActivityActor right) => !left.Equals(right);
}

/// <summary>The actor types ActivityLog knows by name. Any other non-empty string is allowed too.</summary>
public static class ActivityActorTypes
{
    /// <summary>A signed-in user: <c>user</c>.</summary>
    public const string User = "user";

    /// <summary>An API token: <c>api_token</c>.</summary>
    public const string ApiToken = "api_token";

    /// <summary>The system itself: <c>system</c>.</summary>
    public const string System = "system";

    /// <summary>An unidentified caller, shown as "Someone": <c>unknown</c>.</summary>
    public const string Unknown = "unknown";
}

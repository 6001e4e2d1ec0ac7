namespace ActivityLog.Extensibility;

/// <summary>
/// A delivery subscription as a store keeps it: one account's webhook (URL, payload format, which events, state and
/// its signing secrets, encrypted by the delivery package before they reach the store). Stores persist every property
/// as given and never interpret <see cref="ProtectedSecrets"/>.
/// </summary>
/// <remarks>
/// A deleted subscription is kept as a tombstone (<see cref="DeletedAt"/> set) so that other processes polling
/// <see cref="IActivitySubscriptionStore.ListChangedSinceAsync"/> learn of the deletion; tombstones are purged later.
/// </remarks>
public sealed record ActivitySubscription
{
    /// <summary>The longest <see cref="Url"/> kept, in characters.</summary>
    public const int MaxUrlLength = 2_000;

    /// <summary>The longest <see cref="Description"/>, in characters.</summary>
    public const int MaxDescriptionLength = 200;

    /// <summary>The most event names or patterns in <see cref="Events"/>.</summary>
    public const int MaxEvents = 100;

    /// <summary>The subscription's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The account that owns the subscription and whose events it receives.</summary>
    public required string AccountId { get; init; }

    /// <summary>The kind of destination: <c>webhook</c> (room for other kinds, such as log streams).</summary>
    public string Kind { get; init; } = "webhook";

    /// <summary>What the account's admins call it (the seed's "Logging"); shown on the page and in the activity log.</summary>
    public required string Description { get; init; }

    /// <summary>The absolute URL deliveries are sent to.</summary>
    public required string Url { get; init; }

    /// <summary>The payload format's name, as the delivery package defines it (webhooks: <c>json</c> or <c>jsonl</c>).</summary>
    public required string Format { get; init; }

    /// <summary>Event names or patterns (<c>activity_log.user.*</c>); empty for every Activity Log event.</summary>
    public IReadOnlyList<string> Events { get; init; } = [];

    /// <summary>Whether deliveries are sent. A disabled subscription keeps receiving outbox deliveries (its backlog), which re-enabling sends or discards, as the admin chooses.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Why it is disabled (<c>admin</c>, <c>gone</c>, <c>failing</c>), or <see langword="null"/>.</summary>
    public string? DisabledReason { get; init; }

    /// <summary>The signing secrets, encrypted by the delivery package (ASP.NET Core Data Protection); opaque to stores.</summary>
    public required string ProtectedSecrets { get; init; }

    /// <summary>Since when every attempt has failed, or <see langword="null"/> while the last attempt succeeded.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Who created it (the actor's id, such as a user id), or <see langword="null"/>.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>When it last changed (also its deletion time); the key of <see cref="IActivitySubscriptionStore.ListChangedSinceAsync"/>.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Who last changed it, or <see langword="null"/> (the library itself, for example when it disabled a failing subscription).</summary>
    public string? UpdatedBy { get; init; }

    /// <summary>When it was deleted, or <see langword="null"/> while it exists.</summary>
    public DateTimeOffset? DeletedAt { get; init; }

    /// <summary>Grows by one with every change: the store's concurrency token.</summary>
    public long Version { get; init; } = 1;
}

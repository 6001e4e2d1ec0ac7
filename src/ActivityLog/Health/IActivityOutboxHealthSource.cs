using ActivityLog.Extensibility;

namespace ActivityLog.Health;

/// <summary>
/// A delivery package's outbox and the destinations it delivers to, for the health check. The webhooks package
/// registers one (its outbox may be an in-memory one that is not in the container); without any, the check reads the
/// container's <see cref="IActivityOutbox"/> for every <see cref="IActivityOutboxSubscriber"/>.
/// </summary>
internal interface IActivityOutboxHealthSource
{
    /// <summary>The outbox deliveries wait in.</summary>
    IActivityOutbox Outbox { get; }

    /// <summary>The destinations delivered from it.</summary>
    IReadOnlyList<string> Destinations { get; }
}

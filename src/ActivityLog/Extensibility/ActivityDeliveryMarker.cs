namespace ActivityLog.Extensibility;

/// <summary>
/// Registered by every delivery package (webhooks, later log streams) when it is added, whether or not it has a
/// destination yet: it tells a store that deliveries are configured, so that the store maps its outbox tables into the
/// host's model. Registering <see cref="IActivityOutboxSubscriber"/>s alone says the same.
/// </summary>
/// <remarks>
/// A marker rather than the subscriber count, so that a host's model (and so its migrations) does not change when an
/// endpoint is added to or removed from configuration: only adding or removing the package does.
/// </remarks>
internal sealed class ActivityDeliveryMarker;

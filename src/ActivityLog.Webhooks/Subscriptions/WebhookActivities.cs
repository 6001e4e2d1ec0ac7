using System.Globalization;
using ActivityLog.Extensibility;

namespace ActivityLog.Webhooks.Subscriptions;

/// <summary>
/// The activities a webhook subscription's life writes into its account's own log ("John Doe created the webhook
/// Logging."): the event names, their description templates, and one method per action. Resource type
/// <c>webhook</c>, id the subscription's id, name its description; the URL appears as its host only, never its path,
/// query or user info.
/// </summary>
internal static class WebhookActivities
{
    public const string ResourceType = "webhook";
    public const string Created = "activity_log.webhook.created";
    public const string Updated = "activity_log.webhook.updated";
    public const string Enabled = "activity_log.webhook.enabled";
    public const string Disabled = "activity_log.webhook.disabled";
    public const string SecretRotated = "activity_log.webhook.secret_rotated";
    public const string Deleted = "activity_log.webhook.deleted";
    public const string Redelivered = "activity_log.webhook.redelivered";
    public const string Recovered = "activity_log.webhook.recovered";
    public const string TestSent = "activity_log.webhook.test_sent";

    /// <summary>Recorded by the delivery engine when continuous failure disabled a subscription, under the system actor <see cref="SystemActorName"/>.</summary>
    public const string AutoDisabled = "activity_log.webhook.auto_disabled";

    /// <summary>Recorded by the delivery engine when a receiver answered 410 Gone and the subscription was disabled.</summary>
    public const string Gone = "activity_log.webhook.gone";

    /// <summary>The actor of what the library does by itself: "ActivityLog disabled the webhook Logging after 5 days of failed deliveries."</summary>
    public const string SystemActorName = "ActivityLog";

    /// <summary>
    /// Templates for the events whose built-in default ("&lt;verb&gt; the &lt;resource type&gt; &lt;name&gt;") does not read
    /// well. Created, updated, enabled, disabled and deleted read well by default.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> Templates = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [SecretRotated] = "rotated the secret of the {resource.type} {resource.name}",
        [AutoDisabled] = "disabled the {resource.type} {resource.name} after {metadata.failing_for_days} days of failed deliveries",
        [Gone] = "disabled the {resource.type} {resource.name}: its receiver answered 410 Gone",
        [Redelivered] = "redelivered a message of the {resource.type} {resource.name}",
        [Recovered] = "recovered {metadata.recovered} failed messages of the {resource.type} {resource.name}",
        [TestSent] = "sent a test event to the {resource.type} {resource.name}",
    };

    /// <summary>Adds the templates the host has not set itself (a host's own template for these events wins).</summary>
    public static void AddTemplates(ActivityDescriptionOptions descriptions)
    {
        ArgumentNullException.ThrowIfNull(descriptions);
        foreach (var (eventName, template) in Templates)
        {
            descriptions.Templates.TryAdd(eventName, template);
        }
    }

    public static void RecordCreated(IActivityRecorder recorder, ActivitySubscription subscription) =>
        Record(recorder, Created, subscription, metadata: new Dictionary<string, object?>
        {
            ["url_host"] = Host(subscription.Url),
            ["format"] = subscription.Format,
            ["events"] = subscription.Events.ToArray(),
        });

    /// <summary>Records an update with its changes: <c>url</c> (hosts only), <c>format</c>, <c>events</c>, <c>description</c>.</summary>
    public static void RecordUpdated(IActivityRecorder recorder, ActivitySubscription before, ActivitySubscription after)
    {
        var changes = new List<ActivityChange>(4);
        if (!string.Equals(before.Url, after.Url, StringComparison.Ordinal))
        {
            // The host only, even when only the path changed: a path or query is often the receiver's credential.
            changes.Add(ActivityChange.Of("url", Host(before.Url), Host(after.Url)));
        }

        if (!string.Equals(before.Format, after.Format, StringComparison.Ordinal))
        {
            changes.Add(ActivityChange.Of("format", before.Format, after.Format));
        }

        if (!before.Events.SequenceEqual(after.Events, StringComparer.Ordinal))
        {
            changes.Add(ActivityChange.Of("events", before.Events.ToArray(), after.Events.ToArray()));
        }

        if (!string.Equals(before.Description, after.Description, StringComparison.Ordinal))
        {
            changes.Add(ActivityChange.Of("description", before.Description, after.Description));
        }

        Record(recorder, Updated, after, changes: [.. changes]);
    }

    public static void RecordEnabled(IActivityRecorder recorder, ActivitySubscription subscription, WebhookResumeMode resumeFrom, long discarded) =>
        Record(recorder, Enabled, subscription, metadata: new Dictionary<string, object?>
        {
            ["resume_from"] = resumeFrom == WebhookResumeMode.Now ? "now" : "backlog",
            ["discarded_events"] = discarded,
        });

    public static void RecordDisabled(IActivityRecorder recorder, ActivitySubscription subscription) =>
        Record(recorder, Disabled, subscription, metadata: new Dictionary<string, object?> { ["reason"] = subscription.DisabledReason });

    public static void RecordSecretRotated(IActivityRecorder recorder, ActivitySubscription subscription, DateTimeOffset previousSecretExpiresAt) =>
        Record(recorder, SecretRotated, subscription, metadata: new Dictionary<string, object?>
        {
            ["previous_secret_expires_at"] = previousSecretExpiresAt.ToString("O", CultureInfo.InvariantCulture),
        });

    public static void RecordDeleted(IActivityRecorder recorder, ActivitySubscription subscription, long discarded) =>
        Record(recorder, Deleted, subscription, metadata: new Dictionary<string, object?> { ["discarded_events"] = discarded });

    public static void RecordRedelivered(IActivityRecorder recorder, ActivitySubscription subscription, string messageId) =>
        Record(recorder, Redelivered, subscription, metadata: new Dictionary<string, object?> { ["message_id"] = messageId });

    public static void RecordRecovered(IActivityRecorder recorder, ActivitySubscription subscription, DateTimeOffset since, int recovered) =>
        Record(recorder, Recovered, subscription, metadata: new Dictionary<string, object?>
        {
            ["since"] = since.ToString("O", CultureInfo.InvariantCulture),
            ["recovered"] = recovered,
        });

    public static void RecordTestSent(IActivityRecorder recorder, ActivitySubscription subscription, ActivityDeliveryAttempt attempt) =>
        Record(recorder, TestSent, subscription, metadata: new Dictionary<string, object?>
        {
            ["message_id"] = attempt.MessageId,
            ["succeeded"] = attempt.Succeeded,
            ["status_code"] = attempt.StatusCode,
        });

    /// <summary>
    /// Records that continuous failure disabled <paramref name="subscription"/>: "ActivityLog disabled the webhook Logging
    /// after 5 days of failed deliveries.", in the subscription's account, with metadata <c>failing_for_days</c> (days,
    /// rounded, a number: what the sentence shows), <c>failing_since</c> and <c>reason</c>. For the delivery engine.
    /// </summary>
    /// <exception cref="ArgumentException">The subscription breaks the recorder's rules (never one the manager stored).</exception>
    public static void RecordAutoDisabled(IActivityRecorder recorder, ActivitySubscription subscription, TimeSpan failingFor)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        Record(recorder, AutoDisabled, subscription, actor: ActivityActor.System(SystemActorName), metadata: new Dictionary<string, object?>
        {
            ["failing_for_days"] = (long)Math.Round(Math.Max(0, failingFor.TotalDays), MidpointRounding.AwayFromZero),
            ["failing_since"] = subscription.FailingSince?.ToString("O", CultureInfo.InvariantCulture),
            ["reason"] = subscription.DisabledReason ?? "failing",
        });
    }

    /// <summary>Records that a 410 Gone answer disabled <paramref name="subscription"/>, as the library. For the delivery engine.</summary>
    public static void RecordGone(IActivityRecorder recorder, ActivitySubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        Record(recorder, Gone, subscription, actor: ActivityActor.System(SystemActorName), metadata: new Dictionary<string, object?> { ["reason"] = "gone" });
    }

    /// <summary>The subscription as the activity's resource: its id as 32 hex digits (as the engine's activities write it), its name.</summary>
    internal static ActivityResource Resource(ActivitySubscription subscription) =>
        new(ResourceType, subscription.Id.ToString("N", CultureInfo.InvariantCulture), subscription.Description);

    /// <summary>The host of a stored URL (never its path, query or user info), or <see langword="null"/> when it does not parse.</summary>
    internal static string? Host(string url) => Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed.IdnHost : null;

    private static void Record(
        IActivityRecorder recorder,
        string eventName,
        ActivitySubscription subscription,
        ReadOnlySpan<ActivityChange> changes = default,
        ActivityActor? actor = null,
        IReadOnlyDictionary<string, object?>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        recorder.Record(
            eventName,
            resource: Resource(subscription),
            changes: changes,
            actor: actor,
            accountId: subscription.AccountId,
            metadata: metadata);
    }
}

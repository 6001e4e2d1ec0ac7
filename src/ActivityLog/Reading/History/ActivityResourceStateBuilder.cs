using ActivityLog.Formatting;

namespace ActivityLog;

/// <summary>
/// Folds a resource's events, oldest first, into its <see cref="ActivityResourceState"/>: the one place the rule lives
/// (a field takes its change's <c>to</c>; a <c>deleted</c> event marks the resource deleted and keeps the last values;
/// a later <c>created</c> starts it again), used by every reader.
/// </summary>
public sealed class ActivityResourceStateBuilder
{
    private readonly string _resourceType;
    private readonly string _resourceId;
    private readonly DateTimeOffset _at;
    private readonly List<KeyValuePair<string, object?>> _fields = [];
    private readonly Dictionary<string, int> _positions = new(StringComparer.Ordinal);
    private int _count;
    private ActivityLogEvent? _last;
    private bool _seenCreated;
    private bool _deleted;

    /// <summary>Starts an empty state.</summary>
    /// <param name="resourceType">The resource's type.</param>
    /// <param name="resourceId">The resource's id.</param>
    /// <param name="at">The point in time the state is for; later events are refused.</param>
    public ActivityResourceStateBuilder(string resourceType, string resourceId, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceType);
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceId);
        _resourceType = resourceType;
        _resourceId = resourceId;
        _at = at;
    }

    /// <summary>Applies the next event (events must come oldest first).</summary>
    /// <param name="activityEvent">An event about the resource, at or before the state's time.</param>
    /// <exception cref="ArgumentException">The event is about another resource, after the state's time, or older than the previous one.</exception>
    public void Apply(ActivityLogEvent activityEvent)
    {
        ArgumentNullException.ThrowIfNull(activityEvent);
        if (activityEvent.Resource is not { } resource ||
            !string.Equals(resource.Type, _resourceType, StringComparison.Ordinal) ||
            !string.Equals(resource.Id, _resourceId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The event {activityEvent.Id} is not about the {_resourceType} {_resourceId}.", nameof(activityEvent));
        }

        if (activityEvent.Timestamp > _at)
        {
            throw new ArgumentException($"The event {activityEvent.Id} happened after the state's time ({_at:O}).", nameof(activityEvent));
        }

        if (_last is { } previous && activityEvent.Timestamp < previous.Timestamp)
        {
            throw new ArgumentException("Events must be applied oldest first.", nameof(activityEvent));
        }

        string verb = EventNameParts.Verb(activityEvent.Name);
        if (verb == "created")
        {
            _seenCreated = true;
            _deleted = false;
        }
        else if (verb == "deleted")
        {
            _deleted = true;
        }

        if (verb != "deleted")
        {
            foreach (var change in activityEvent.Changes)
            {
                if (_positions.TryGetValue(change.Field, out int position))
                {
                    _fields[position] = new(change.Field, change.To);
                }
                else
                {
                    _positions[change.Field] = _fields.Count;
                    _fields.Add(new(change.Field, change.To));
                }
            }
        }

        _count++;
        _last = activityEvent;
    }

    /// <summary>The state after the events applied so far.</summary>
    /// <returns>The state.</returns>
    public ActivityResourceState Build() =>
        new(_resourceType, _resourceId, _at, [.. _fields], _count, _last, _seenCreated, _deleted);
}

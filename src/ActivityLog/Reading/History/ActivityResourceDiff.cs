using ActivityLog.Serialization;

namespace ActivityLog;

/// <summary>
/// What changed in one resource between two points in time (<see cref="IActivityLogReader.CompareResourceStatesAsync"/>):
/// both states and every field whose value differs, compared as the JSON the payload would carry.
/// </summary>
public sealed class ActivityResourceDiff
{
    private ActivityResourceDiff(ActivityResourceState before, ActivityResourceState after, IReadOnlyList<ActivityChange> changes)
    {
        Before = before;
        After = after;
        Changes = changes;
    }

    /// <summary>The state at the earlier time.</summary>
    public ActivityResourceState Before { get; }

    /// <summary>The state at the later time.</summary>
    public ActivityResourceState After { get; }

    /// <summary>
    /// The fields that differ: <see cref="ActivityChange.From"/> is the earlier value (<see langword="null"/> for a field
    /// not yet recorded then), <see cref="ActivityChange.To"/> the later one. In the order of the later state's fields,
    /// then fields only the earlier state has.
    /// </summary>
    public IReadOnlyList<ActivityChange> Changes { get; }

    /// <summary>Compares two states of the same resource.</summary>
    /// <param name="before">The earlier state.</param>
    /// <param name="after">The later state.</param>
    /// <returns>The difference.</returns>
    /// <exception cref="ArgumentException">The states are of different resources.</exception>
    public static ActivityResourceDiff Between(ActivityResourceState before, ActivityResourceState after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.ResourceType != after.ResourceType || before.ResourceId != after.ResourceId)
        {
            throw new ArgumentException("Both states must be of the same resource.", nameof(after));
        }

        var earlier = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (field, value) in before.Fields)
        {
            earlier[field] = value;
        }

        var changes = new List<ActivityChange>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (field, value) in after.Fields)
        {
            seen.Add(field);
            earlier.TryGetValue(field, out object? old);
            if (!string.Equals(ActivityJsonSerializer.SerializeValue(old), ActivityJsonSerializer.SerializeValue(value), StringComparison.Ordinal))
            {
                changes.Add(new ActivityChange(field, old, value));
            }
        }

        foreach (var (field, value) in before.Fields)
        {
            if (!seen.Contains(field) && value is not null)
            {
                changes.Add(new ActivityChange(field, value, null));
            }
        }

        return new ActivityResourceDiff(before, after, changes);
    }
}

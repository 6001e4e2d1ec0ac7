using System.Collections;
using System.Globalization;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>
/// The changes of one captured entity in one <c>SaveChanges</c>, before they become an <see cref="ActivityLogEvent"/>.
/// Values the database has yet to generate (identity keys, defaults, foreign keys to new rows) are
/// <see cref="PendingValue"/>s until the statements ran; such an entity is turned into its event only then.
/// </summary>
internal sealed class CapturedEntity(EntityPlan plan, string verb, object?[] key, string? name, List<ActivityChange> changes, bool hasPending)
{
    public EntityPlan Plan { get; } = plan;

    public string Verb { get; } = verb;

    /// <summary>Whether a value is only known after the database ran the statements.</summary>
    public bool HasPending { get; } = hasPending;

    public ActivityLogEvent ToEvent(in AmbientValues ambient)
    {
        var changeArray = new ActivityChange[changes.Count];
        int count = 0;
        foreach (var change in changes)
        {
            object? from = Resolve(change.From, out bool fromPending);
            object? to = Resolve(change.To, out bool toPending);

            // A generated value can turn out to equal the old one (a computed column that did not move).
            if ((fromPending || toPending) && Equals(from, to))
            {
                continue;
            }

            changeArray[count++] = new ActivityChange(change.Field, from, to);
        }

        if (count < changeArray.Length)
        {
            Array.Resize(ref changeArray, count);
        }

        return new ActivityLogEvent
        {
            Name = Plan.EventName(Verb),
            Actor = ambient.Actor,
            Resource = Resource(Plan.ResourceType, key, name),
            Changes = changeArray,
            Timestamp = ambient.Timestamp,
            AccountId = ambient.AccountId,
            Context = ambient.Context,
        };
    }

    /// <summary>An updated entity whose generated values turned out unchanged records nothing.</summary>
    public static bool IsEmptyUpdate(ActivityLogEvent activityEvent, CapturedEntity entity) =>
        activityEvent.Changes.Count == 0 && entity.Verb == ChangeVerbs.Updated;

    private static object? Resolve(object? value, out bool pending)
    {
        switch (value)
        {
            case PendingValue generated:
                pending = true;
                return generated.Resolve();
            case KeyList list:
                pending = list.HasPending;
                return list.Resolve();
            default:
                pending = false;
                return value;
        }
    }

    private static ActivityResource Resource(string type, object?[] key, string? name)
    {
        if (key.Length == 1)
        {
            object? value = key[0] is PendingValue pending ? pending.Resolve() : key[0];
            return value switch
            {
                int number => new ActivityResource(type, number, name),
                long number => new ActivityResource(type, number, name),
                short number => new ActivityResource(type, number, name),
                byte number => new ActivityResource(type, number, name),
                uint number => new ActivityResource(type, number, name),
                _ => new ActivityResource(type, Truncate(Format(value), ActivityLimits.MaxIdLength), name),
            };
        }

        var parts = new string?[key.Length];
        for (int i = 0; i < key.Length; i++)
        {
            parts[i] = Format(key[i] is PendingValue pending ? pending.Resolve() : key[i]);
        }

        return new ActivityResource(type, Truncate(string.Join(',', parts), ActivityLimits.MaxIdLength), name);
    }

    internal static string? Format(object? value) => value switch
    {
        null => null,
        string text => text,
        Guid guid => guid.ToString("D"),
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToHexStringLower(bytes),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    internal static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}

/// <summary>The actor, account, context and time every event of one <c>SaveChanges</c> carries.</summary>
internal readonly record struct AmbientValues(ActivityActor Actor, string? AccountId, ActivityRequestContext? Context, DateTimeOffset Timestamp);

/// <summary>A value the database generates while the statements run, read from the entry once they did.</summary>
internal sealed class PendingValue(EntityEntry entry, IProperty property)
{
    public object? Resolve() => entry.CurrentValues[property];
}

/// <summary>The keys of the entities on one side of a many-to-many navigation, sorted once every key is known.</summary>
internal sealed class KeyList(List<object?> keys, bool hasPending)
{
    private readonly List<object?> _keys = keys;

    public bool HasPending { get; } = hasPending;

    public int Count => _keys.Count;

    public object?[] Resolve()
    {
        var resolved = new object?[_keys.Count];
        for (int i = 0; i < resolved.Length; i++)
        {
            resolved[i] = _keys[i] is PendingValue pending ? pending.Resolve() : _keys[i];
        }

        // Sorted so that the same set always reads the same, whatever order the change tracker holds it in.
        Array.Sort(resolved, CompareKeys);
        return resolved;
    }

    public bool SameSetAs(KeyList other)
    {
        // A key the database has yet to generate belongs to a new row, so the sets differ.
        if (HasPending || other.HasPending || _keys.Count != other._keys.Count)
        {
            return false;
        }

        return new HashSet<object?>(_keys).SetEquals(other._keys);
    }

    private static int CompareKeys(object? left, object? right) =>
        left is not null && right is not null && left.GetType() == right.GetType() && left is IComparable comparable
            ? comparable.CompareTo(right)
            : string.CompareOrdinal(CapturedEntity.Format(left), CapturedEntity.Format(right));
}

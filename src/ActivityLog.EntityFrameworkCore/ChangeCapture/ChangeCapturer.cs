using System.Collections;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>
/// Reads the change tracker at the start of one <c>SaveChanges</c> and turns the changes of captured entities into
/// <see cref="CapturedEntity"/> records: scalar changes, owned entities folded into their root owner, many-to-many
/// join rows as list changes on each captured side. One instance per <c>SaveChanges</c>; not thread-safe.
/// </summary>
/// <remarks>
/// The common save (a few root entities, no owned or join changes) takes one pass over the tracker. Only when owned
/// or join entries changed does it index the tracked entries to find each one's owner.
/// </remarks>
internal sealed class ChangeCapturer
{
    private readonly string _mask;
    private readonly List<Tracked> _entries = [];
    private Dictionary<EntryKey, Tracked>? _live;
    private Dictionary<EntryKey, Tracked>? _deleted;
    private Dictionary<object, List<OwnedChild>>? _children;
    private Dictionary<object, Tracked>? _parents;
    private HashSet<object>? _touched;

    private ChangeCapturer(string mask) => _mask = mask;

    /// <summary>Captures the pending changes of the context's captured entity types.</summary>
    /// <param name="context">The context, inside <c>SavingChanges</c> (the tracker is read, never changed).</param>
    /// <param name="model">The model's capture plan.</param>
    /// <param name="mask">The redaction mask for sensitive properties.</param>
    /// <returns>The captured entities in the tracker's order, or an empty list.</returns>
    public static List<CapturedEntity> Capture(DbContext context, CaptureModel model, string mask) => new ChangeCapturer(mask).Run(context, model);

    private static bool IsChanged(EntityState state) => state is EntityState.Added or EntityState.Modified or EntityState.Deleted;

    private List<CapturedEntity> Run(DbContext context, CaptureModel model)
    {
        bool anyChange = false;
        bool related = false;
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (model.Find(entry.Metadata) is not { } plan)
            {
                continue;
            }

            var state = entry.State;
            _entries.Add(new Tracked(entry, plan, state));
            if (IsChanged(state))
            {
                anyChange = true;
                related |= plan.IsOwned || plan.JoinSides.Length > 0;
            }
        }

        var result = new List<CapturedEntity>();
        if (!anyChange)
        {
            return result;
        }

        if (!related)
        {
            foreach (var tracked in _entries)
            {
                if (tracked.Plan.IsRoot && IsChanged(tracked.State) && CaptureRoot(tracked, joins: null) is { } captured)
                {
                    result.Add(captured);
                }
            }

            return result;
        }

        IndexOwnedEntities();
        var groups = CollectJoinChanges();
        foreach (var tracked in _entries)
        {
            if (!tracked.Plan.IsRoot)
            {
                continue;
            }

            List<JoinChange>? joins = null;
            if (groups is { Count: > 0 })
            {
                groups.Remove(KeyOf(tracked.Entry, tracked.Plan.KeyType, tracked.Plan.Key), out joins);
            }

            if ((IsChanged(tracked.State) || _touched!.Contains(tracked.Entry.Entity) || joins is not null) &&
                CaptureRoot(tracked, joins) is { } captured)
            {
                result.Add(captured);
            }
        }

        // Join rows whose owner is not tracked: the owner is known by its key only.
        if (groups is not null)
        {
            foreach (var (key, joins) in groups)
            {
                var changes = new List<ActivityChange>();
                bool pending = false;
                foreach (var join in joins)
                {
                    AddJoinChange(join, ChangeVerbs.Updated, changes, ref pending);
                }

                if (changes.Count > 0)
                {
                    result.Add(new CapturedEntity(joins[0].Side.Owner, ChangeVerbs.Updated, key.Values, name: null, changes, pending));
                }
            }
        }

        return result;
    }

    private CapturedEntity? CaptureRoot(Tracked tracked, List<JoinChange>? joins)
    {
        var (entry, plan, state) = tracked;
        string verb = state switch
        {
            EntityState.Added => ChangeVerbs.Created,
            EntityState.Deleted => ChangeVerbs.Deleted,
            _ => ChangeVerbs.Updated,
        };

        var changes = new List<ActivityChange>(state == EntityState.Modified ? 4 : plan.Properties.Length);
        bool pending = false;
        Diff(entry, entry, plan, "", changes, ref pending);
        if (joins is not null)
        {
            foreach (var join in joins)
            {
                AddJoinChange(join, verb, changes, ref pending);
            }
        }

        if (changes.Count == 0 && verb == ChangeVerbs.Updated)
        {
            return null;
        }

        var current = entry.CurrentValues;
        var key = new object?[plan.Key.Length];
        bool keySet = state != EntityState.Added || entry.IsKeySet;
        for (int i = 0; i < key.Length; i++)
        {
            var property = plan.Key[i];
            if (!keySet && entry.Property(property).IsTemporary)
            {
                key[i] = new PendingValue(entry, property);
                pending = true;
            }
            else
            {
                key[i] = current[property];
            }
        }

        string? name = null;
        if (plan.NameProperty is { } nameProperty)
        {
            var values = state == EntityState.Deleted ? entry.OriginalValues : current;
            name = CapturedEntity.Truncate(CapturedEntity.Format(values[nameProperty]), ActivityLimits.MaxNameLength);
        }

        return new CapturedEntity(plan, verb, key, name, changes, pending);
    }

    /// <summary>
    /// Adds the changes between <paramref name="old"/> (as it was loaded) and <paramref name="new"/> (as it will be
    /// saved): the same entry for a root or an owned entity that stayed, two entries for an owned entity that was replaced.
    /// </summary>
    private void Diff(EntityEntry? old, EntityEntry? @new, EntityPlan plan, string prefix, List<ActivityChange> changes, ref bool pending)
    {
        bool same = ReferenceEquals(old, @new);
        var oldState = old?.State ?? EntityState.Detached;
        var newState = same ? oldState : @new?.State ?? EntityState.Detached;
        if (!(same && oldState == EntityState.Unchanged))
        {
            var before = old is null || oldState == EntityState.Added ? null : old.OriginalValues;
            var after = @new is null || newState == EntityState.Deleted ? null : @new.CurrentValues;
            foreach (var captured in plan.Properties)
            {
                object? from = before?[captured.Property];
                object? to = after?[captured.Property];
                bool generated = after is not null && captured.MayBeGenerated && IsGenerated(@new!, newState, captured, to);
                if (!generated && captured.Comparer.Equals(from, to))
                {
                    continue;
                }

                if (captured.Sensitive)
                {
                    // Masked here, by the property's attribute; the pipeline's redactor then applies its own rules by name.
                    from = _mask;
                    to = _mask;
                }
                else if (generated)
                {
                    to = new PendingValue(@new!, captured.Property);
                    pending = true;
                }

                changes.Add(new ActivityChange(prefix.Length == 0 ? captured.Field : prefix + captured.Field, from, to));
            }
        }

        if (_children is null || plan.Owned.Length == 0)
        {
            return;
        }

        foreach (var navigation in plan.Owned)
        {
            var kids = ChildrenOf(old, @new, navigation);
            if (kids.Count == 0)
            {
                continue;
            }

            string field = prefix + navigation.Field;
            if (!navigation.IsCollection)
            {
                EntityEntry? oldChild = null;
                EntityEntry? newChild = null;
                foreach (var kid in kids)
                {
                    var kidState = kid.State;
                    oldChild = kidState != EntityState.Added ? kid : oldChild;
                    newChild = kidState != EntityState.Deleted ? kid : newChild;
                }

                Diff(oldChild, newChild, navigation.Target, field + ".", changes, ref pending);
                continue;
            }

            // An owned collection is one field whose value is the list of its items, before and after, in the
            // collection's own order (removed items last).
            SortLikeCollection(@new ?? old, navigation, kids);
            var fromItems = old is null || oldState == EntityState.Added ? null : Snapshots(kids, original: true, navigation.Target);
            var toItems = @new is null || newState == EntityState.Deleted ? null : Snapshots(kids, original: false, navigation.Target);
            if (SnapshotEquals(fromItems, toItems) || (fromItems is null && toItems is { Count: 0 }) || (toItems is null && fromItems is { Count: 0 }))
            {
                continue;
            }

            changes.Add(new ActivityChange(field, fromItems, toItems));
        }
    }

    /// <summary>Whether the database, not the app, produces this value while the statements run.</summary>
    private static bool IsGenerated(EntityEntry entry, EntityState state, CapturedProperty captured, object? value)
    {
        if (state == EntityState.Added)
        {
            var property = captured.Property;
            return entry.Property(property).IsTemporary ||
                (property.ValueGenerated.HasFlag(ValueGenerated.OnAdd) && !property.IsForeignKey() && captured.Comparer.Equals(value, property.Sentinel));
        }

        return state == EntityState.Modified && captured.GeneratedOnUpdate;
    }

    private List<EntityEntry> ChildrenOf(EntityEntry? old, EntityEntry? @new, OwnedNavigationPlan navigation)
    {
        var kids = new List<EntityEntry>();
        AddChildren(old, navigation, kids);
        if (!ReferenceEquals(old, @new))
        {
            AddChildren(@new, navigation, kids);
        }

        return kids;
    }

    private void AddChildren(EntityEntry? parent, OwnedNavigationPlan navigation, List<EntityEntry> kids)
    {
        if (parent is not null && _children!.TryGetValue(parent.Entity, out var children))
        {
            foreach (var child in children)
            {
                if (ReferenceEquals(child.Navigation, navigation))
                {
                    kids.Add(child.Entry);
                }
            }
        }
    }

    private static void SortLikeCollection(EntityEntry? parent, OwnedNavigationPlan navigation, List<EntityEntry> kids)
    {
        if (parent?.Navigation(navigation.Name).CurrentValue is not IEnumerable items || kids.Count < 2)
        {
            return;
        }

        var position = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        foreach (var item in items)
        {
            position.TryAdd(item, position.Count);
        }

        var order = kids.Select((kid, index) => (kid, rank: position.TryGetValue(kid.Entity, out int at) ? at : position.Count + index)).OrderBy(k => k.rank).ToList();
        for (int i = 0; i < kids.Count; i++)
        {
            kids[i] = order[i].kid;
        }
    }

    private List<object?> Snapshots(List<EntityEntry> items, bool original, EntityPlan plan)
    {
        var snapshots = new List<object?>(items.Count);
        foreach (var item in items)
        {
            var state = item.State;
            if (original ? state != EntityState.Added : state != EntityState.Deleted)
            {
                snapshots.Add(Snapshot(item, original, plan));
            }
        }

        return snapshots;
    }

    private Dictionary<string, object?> Snapshot(EntityEntry entry, bool original, EntityPlan plan)
    {
        var values = original ? entry.OriginalValues : entry.CurrentValues;
        var snapshot = new Dictionary<string, object?>(plan.Properties.Length, StringComparer.Ordinal);
        foreach (var captured in plan.Properties)
        {
            snapshot[captured.Field] = captured.Sensitive ? _mask : values[captured.Property];
        }

        foreach (var navigation in plan.Owned)
        {
            var kids = ChildrenOf(entry, entry, navigation);
            if (navigation.IsCollection)
            {
                SortLikeCollection(entry, navigation, kids);
                snapshot[navigation.Field] = Snapshots(kids, original, navigation.Target);
                continue;
            }

            var child = kids.Find(k => original ? k.State != EntityState.Added : k.State != EntityState.Deleted);
            snapshot[navigation.Field] = child is null ? null : Snapshot(child, original, navigation.Target);
        }

        return snapshot;
    }

    private static bool SnapshotEquals(object? left, object? right) => (left, right) switch
    {
        (null, null) => true,
        (Dictionary<string, object?> a, Dictionary<string, object?> b) =>
            a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out var other) && SnapshotEquals(pair.Value, other)),
        (List<object?> a, List<object?> b) => a.Count == b.Count && a.Zip(b).All(pair => SnapshotEquals(pair.First, pair.Second)),
        _ => StructuralComparisons.StructuralEqualityComparer.Equals(left, right),
    };

    /// <summary>Finds each owned entry's owner, and the root owner of each changed owned entry.</summary>
    private void IndexOwnedEntities()
    {
        _live = [];
        _deleted = [];
        _children = new Dictionary<object, List<OwnedChild>>(ReferenceEqualityComparer.Instance);
        _parents = new Dictionary<object, Tracked>(ReferenceEqualityComparer.Instance);
        _touched = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var tracked in _entries)
        {
            if (tracked.Plan.IsRoot || tracked.Plan.IsOwned)
            {
                // A replaced owned entity is tracked twice under one key: the old one deleted, the new one added.
                (tracked.State == EntityState.Deleted ? _deleted : _live)[KeyOf(tracked.Entry, tracked.Plan.KeyType, tracked.Plan.Key)] = tracked;
            }
        }

        foreach (var tracked in _entries)
        {
            if (!tracked.Plan.IsOwned)
            {
                continue;
            }

            var ownership = tracked.Plan.Ownership!;
            var ownerKey = KeyOf(tracked.Entry, ownership.PrincipalEntityType.GetRootType(), ownership.Properties);
            var (first, second) = tracked.State == EntityState.Deleted ? (_deleted, _live) : (_live, _deleted);
            if (!first.TryGetValue(ownerKey, out var owner) && !second.TryGetValue(ownerKey, out owner))
            {
                continue;
            }

            var navigation = Array.Find(owner.Plan.Owned, n => ReferenceEquals(n.Target, tracked.Plan));
            if (navigation is null)
            {
                continue;
            }

            if (!_children.TryGetValue(owner.Entry.Entity, out var list))
            {
                _children[owner.Entry.Entity] = list = [];
            }

            list.Add(new OwnedChild(navigation, tracked.Entry));
            _parents[tracked.Entry.Entity] = owner;
        }

        foreach (var tracked in _entries)
        {
            if (!tracked.Plan.IsOwned || !IsChanged(tracked.State))
            {
                continue;
            }

            var current = tracked;
            while (!current.Plan.IsRoot && _parents.TryGetValue(current.Entry.Entity, out var parent))
            {
                current = parent;
            }

            if (current.Plan.IsRoot)
            {
                _touched.Add(current.Entry.Entity);
            }
        }
    }

    /// <summary>Groups the added and deleted join rows by owner and side, with the rows that stayed, for before/after lists.</summary>
    private Dictionary<EntryKey, List<JoinChange>>? CollectJoinChanges()
    {
        Dictionary<EntryKey, List<JoinChange>>? groups = null;
        foreach (var tracked in _entries)
        {
            if (tracked.Plan.JoinSides.Length == 0 || tracked.State is not (EntityState.Added or EntityState.Deleted))
            {
                continue;
            }

            foreach (var side in tracked.Plan.JoinSides)
            {
                var key = KeyOf(tracked.Entry, side.Owner.KeyType, side.OwnerForeignKey);
                groups ??= [];
                if (!groups.TryGetValue(key, out var list))
                {
                    groups[key] = list = [];
                }

                if (!list.Exists(j => ReferenceEquals(j.Side, side)))
                {
                    list.Add(new JoinChange(side));
                }
            }
        }

        if (groups is null)
        {
            return null;
        }

        foreach (var tracked in _entries)
        {
            if (tracked.Plan.JoinSides.Length == 0)
            {
                continue;
            }

            foreach (var side in tracked.Plan.JoinSides)
            {
                if (!groups.TryGetValue(KeyOf(tracked.Entry, side.Owner.KeyType, side.OwnerForeignKey), out var list) ||
                    list.Find(j => ReferenceEquals(j.Side, side)) is not { } join)
                {
                    continue;
                }

                object? related = RelatedKey(tracked, side.RelatedForeignKey, out bool relatedPending);
                switch (tracked.State)
                {
                    case EntityState.Added:
                        join.Added.Add(related);
                        join.AddedPending |= relatedPending;
                        break;
                    case EntityState.Deleted:
                        join.Removed.Add(related);
                        break;
                    default:
                        join.Kept.Add(related);
                        break;
                }
            }
        }

        return groups;
    }

    private static object? RelatedKey(Tracked tracked, IProperty[] foreignKey, out bool pending)
    {
        pending = false;
        var values = tracked.Entry.CurrentValues;
        if (foreignKey.Length == 1)
        {
            var property = foreignKey[0];
            if (tracked.State == EntityState.Added && tracked.Entry.Property(property).IsTemporary)
            {
                pending = true;
                return new PendingValue(tracked.Entry, property);
            }

            return values[property];
        }

        return string.Join(',', foreignKey.Select(p => CapturedEntity.Format(values[p])));
    }

    private static void AddJoinChange(JoinChange join, string verb, List<ActivityChange> changes, ref bool pending)
    {
        var from = verb == ChangeVerbs.Created ? null : new KeyList([.. join.Kept, .. join.Removed], hasPending: false);
        var to = verb == ChangeVerbs.Deleted ? null : new KeyList([.. join.Kept, .. join.Added], join.AddedPending);
        if ((from is not null && to is not null && from.SameSetAs(to)) || (from is null && to is { Count: 0 }) || (to is null && from is { Count: 0 }))
        {
            return;
        }

        pending |= to?.HasPending == true;
        changes.Add(new ActivityChange(join.Side.Field, from, to));
    }

    private static EntryKey KeyOf(EntityEntry entry, IEntityType type, IReadOnlyList<IProperty> properties)
    {
        var values = entry.CurrentValues;
        var key = new object?[properties.Count];
        for (int i = 0; i < key.Length; i++)
        {
            key[i] = values[properties[i]];
        }

        return new EntryKey(type, key);
    }

    private readonly record struct Tracked(EntityEntry Entry, EntityPlan Plan, EntityState State);

    private readonly record struct OwnedChild(OwnedNavigationPlan Navigation, EntityEntry Entry);

    private sealed class JoinChange(JoinSidePlan side)
    {
        public JoinSidePlan Side { get; } = side;

        public List<object?> Kept { get; } = [];

        public List<object?> Added { get; } = [];

        public List<object?> Removed { get; } = [];

        public bool AddedPending { get; set; }
    }

    /// <summary>An entity's identity in the tracker: the root type of its hierarchy and its key values.</summary>
    private sealed class EntryKey(IEntityType type, object?[] values) : IEquatable<EntryKey>
    {
        public IEntityType EntityType { get; } = type;

        public object?[] Values { get; } = values;

        public bool Equals(EntryKey? other)
        {
            if (other is null || !ReferenceEquals(EntityType, other.EntityType) || Values.Length != other.Values.Length)
            {
                return false;
            }

            for (int i = 0; i < Values.Length; i++)
            {
                if (!StructuralComparisons.StructuralEqualityComparer.Equals(Values[i], other.Values[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => Equals(obj as EntryKey);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(EntityType);
            foreach (var value in Values)
            {
                hash.Add(StructuralComparisons.StructuralEqualityComparer.GetHashCode(value ?? 0));
            }

            return hash.ToHashCode();
        }
    }
}

using System.Reflection;
using ActivityLog.Redaction;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>
/// What capture needs to know about one model, worked out once per model and cached on it as a runtime annotation:
/// which entity types are captured, under which names, with which properties, owned navigations and join entities.
/// </summary>
/// <remarks>Built on the first <c>SaveChanges</c> of a context type; a configuration error (a bad resource type, an
/// unknown name property) throws from there, every time, with a message that says what to fix.</remarks>
internal sealed class CaptureModel
{
    private const string AnnotationName = "ActivityLog:CaptureModel";

    // The plan of the model used last: one reference comparison per SaveChanges instead of an annotation lookup.
    private static CaptureModel? _last;

    private readonly Dictionary<IEntityType, EntityPlan> _plans = [];
    private readonly IModel _model;
    private ActivityRowInserter? _inserter;
    private ActivityRowInserter? _outboxInserter;

    private CaptureModel(IModel model)
    {
        _model = model;
        EventEntityType = model.FindEntityType(typeof(StoredActivityLogEvent));
        foreach (var entityType in model.GetEntityTypes())
        {
            if (entityType.ClrType != typeof(StoredActivityLogEvent) && !entityType.IsOwned() && FindSettings(entityType) is { } settings)
            {
                _plans[entityType] = EntityPlan.ForRoot(entityType, settings);
            }
        }

        // Owned types record as part of their root owner, so they are planned when that root is captured.
        foreach (var entityType in model.GetEntityTypes())
        {
            if (entityType.IsOwned() && _plans.ContainsKey(RootOwner(entityType)))
            {
                _plans[entityType] = EntityPlan.ForOwned(entityType);
            }
        }

        foreach (var plan in _plans.Values)
        {
            plan.Owned = [.. plan.EntityType.GetNavigations()
                .Where(n => n.ForeignKey.IsOwnership && !n.IsOnDependent && _plans.ContainsKey(n.TargetEntityType))
                .Select(n => new OwnedNavigationPlan(n.Name, CaptureAnnotations.SnakeCase(n.Name), n.IsCollection, _plans[n.TargetEntityType]))];
        }

        // A many-to-many change is an update of each captured side that declares a skip navigation over the join type.
        var sides = new Dictionary<IEntityType, List<JoinSidePlan>>();
        foreach (var (entityType, plan) in _plans.ToList())
        {
            if (plan.IsOwned)
            {
                continue;
            }

            foreach (var skip in entityType.GetDeclaredSkipNavigations())
            {
                if (skip.Inverse is null || !skip.ForeignKey.PrincipalKey.IsPrimaryKey())
                {
                    continue;
                }

                if (!sides.TryGetValue(skip.JoinEntityType, out var list))
                {
                    sides[skip.JoinEntityType] = list = [];
                }

                list.Add(new JoinSidePlan(plan, CaptureAnnotations.SnakeCase(skip.Name), [.. skip.ForeignKey.Properties], [.. skip.Inverse.ForeignKey.Properties]));
            }
        }

        foreach (var (joinType, list) in sides)
        {
            if (!_plans.TryGetValue(joinType, out var joinPlan))
            {
                _plans[joinType] = joinPlan = EntityPlan.ForJoin(joinType);
            }

            joinPlan.JoinSides = [.. list];
        }
    }

    /// <summary>Whether any entity type of the model is captured.</summary>
    public bool HasCapture => _plans.Count > 0;

    /// <summary>The activity log table's entity type, or <see langword="null"/> when the model does not map it.</summary>
    public IEntityType? EventEntityType { get; }

    /// <summary>Writes rows with one INSERT statement, for events that can only be built after the database generated keys.</summary>
    public ActivityRowInserter Inserter => _inserter ??= new ActivityRowInserter(EventEntityType!);

    /// <summary>Writes the outbox deliveries of those events the same way (the model must map the outbox).</summary>
    public ActivityRowInserter OutboxInserter => _outboxInserter ??= new ActivityRowInserter(_model.FindEntityType(typeof(Outbox.OutboxDeliveryRow))!);

    public static CaptureModel For(IModel model)
    {
        var last = _last;
        if (last is not null && ReferenceEquals(last._model, model))
        {
            return last;
        }

        return _last = model.GetOrAddRuntimeAnnotationValue(AnnotationName, static m => new CaptureModel(m!), model);
    }

    public EntityPlan? Find(IEntityType entityType) => _plans.GetValueOrDefault(entityType);

    private static IEntityType RootOwner(IEntityType entityType)
    {
        while (entityType.FindOwnership() is { } ownership)
        {
            entityType = ownership.PrincipalEntityType;
        }

        return entityType;
    }

    private static CaptureSettings? FindSettings(IEntityType entityType)
    {
        bool captured = false;
        string? resourceType = null;
        string? nameProperty = null;
        var ignored = new HashSet<string>(StringComparer.Ordinal);
        for (var type = entityType; type is not null; type = type.BaseType)
        {
            if (type.FindAnnotation(CaptureAnnotations.Capture)?.Value is string annotated)
            {
                captured = true;
                resourceType ??= annotated.Length > 0 ? annotated : null;
            }

            nameProperty ??= type.FindAnnotation(CaptureAnnotations.NameProperty)?.Value as string;
            if (type.FindAnnotation(CaptureAnnotations.IgnoredProperties)?.Value is string list)
            {
                ignored.UnionWith(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }

        if (!entityType.HasSharedClrType && entityType.ClrType.GetCustomAttribute<CaptureActivityAttribute>(inherit: true) is { } attribute)
        {
            captured = true;
            resourceType ??= attribute.ResourceType;
            nameProperty ??= attribute.NameProperty;
            ignored.UnionWith(attribute.IgnoredProperties ?? []);
        }

        return captured ? new CaptureSettings(resourceType, nameProperty, ignored) : null;
    }
}

internal sealed record CaptureSettings(string? ResourceType, string? NameProperty, HashSet<string> Ignored);

/// <summary>How one entity type is captured: as a root (it has its own events), an owned part of a root, or a join entity.</summary>
internal sealed class EntityPlan
{
    private EntityPlan(IEntityType entityType) => EntityType = entityType;

    public IEntityType EntityType { get; }

    /// <summary>The type whose key identifies entries of this type in the change tracker (the hierarchy's root).</summary>
    public IEntityType KeyType => EntityType.GetRootType();

    public bool IsRoot { get; private init; }

    public bool IsOwned { get; private init; }

    public string ResourceType { get; private init; } = "";

    public string CreatedEvent { get; private init; } = "";

    public string UpdatedEvent { get; private init; } = "";

    public string DeletedEvent { get; private init; } = "";

    public IProperty[] Key { get; private init; } = [];

    public IProperty? NameProperty { get; private init; }

    public CapturedProperty[] Properties { get; private init; } = [];

    /// <summary>The ownership of an owned type (its foreign key to its owner).</summary>
    public IForeignKey? Ownership { get; private init; }

    public OwnedNavigationPlan[] Owned { get; set; } = [];

    /// <summary>For a join entity type: the captured sides whose many-to-many navigations go through it.</summary>
    public JoinSidePlan[] JoinSides { get; set; } = [];

    public static EntityPlan ForRoot(IEntityType entityType, CaptureSettings settings)
    {
        string resourceType = settings.ResourceType ??
            CaptureAnnotations.SnakeCase(entityType.HasSharedClrType ? entityType.ShortName() : entityType.ClrType.Name);
        if (!CaptureAnnotations.IsValidResourceType(resourceType))
        {
            throw new InvalidOperationException(
                $"ActivityLog cannot capture '{entityType.DisplayName()}': its resource type '{resourceType}' must be lowercase letters, digits and underscores, starting with a letter, at most {ActivityLimits.MaxTypeLength} characters. Set one with [CaptureActivity(ResourceType = \"...\")] or CaptureActivity(c => c.ResourceType(\"...\")).");
        }

        var key = entityType.FindPrimaryKey()?.Properties.ToArray() ??
            throw new InvalidOperationException($"ActivityLog cannot capture '{entityType.DisplayName()}': keyless entity types are never saved.");
        IProperty? name = null;
        if (settings.NameProperty is not null)
        {
            name = entityType.FindProperty(settings.NameProperty) ?? throw new InvalidOperationException(
                $"ActivityLog cannot capture '{entityType.DisplayName()}': its name property '{settings.NameProperty}' is not a mapped property.");
        }
        else
        {
            name = DefaultName(entityType, "Name") ?? DefaultName(entityType, "Title");
        }

        var excluded = new HashSet<IReadOnlyProperty>(key);
        if (entityType.FindDiscriminatorProperty() is { } discriminator)
        {
            excluded.Add(discriminator);
        }

        string prefix = "activity_log." + resourceType + ".";
        return new EntityPlan(entityType)
        {
            IsRoot = true,
            ResourceType = resourceType,
            CreatedEvent = prefix + "created",
            UpdatedEvent = prefix + "updated",
            DeletedEvent = prefix + "deleted",
            Key = key,
            NameProperty = name,
            Properties = [.. CapturedProperty.Of(entityType, excluded, settings.Ignored)],
        };
    }

    public static EntityPlan ForOwned(IEntityType entityType)
    {
        var ownership = entityType.FindOwnership()!;
        var excluded = new HashSet<IReadOnlyProperty>(ownership.Properties);
        excluded.UnionWith(entityType.FindPrimaryKey()?.Properties ?? []);
        return new EntityPlan(entityType)
        {
            IsOwned = true,
            Ownership = ownership,
            Key = entityType.FindPrimaryKey()?.Properties.ToArray() ?? [],
            Properties = [.. CapturedProperty.Of(entityType, excluded, [])],
        };
    }

    public static EntityPlan ForJoin(IEntityType entityType) =>
        new(entityType) { Key = entityType.FindPrimaryKey()?.Properties.ToArray() ?? [] };

    public string EventName(string verb) => verb switch
    {
        ChangeVerbs.Created => CreatedEvent,
        ChangeVerbs.Deleted => DeletedEvent,
        _ => UpdatedEvent,
    };

    private static IProperty? DefaultName(IEntityType entityType, string name) =>
        entityType.FindProperty(name) is { } property && property.ClrType == typeof(string) && !IsSensitive(property) ? property : null;

    internal static bool IsSensitive(IReadOnlyPropertyBase property) =>
        (property.PropertyInfo ?? (MemberInfo?)property.FieldInfo) is { } member && SensitiveMembers.IsSensitive(member);
}

/// <summary>One recorded property: its change field (snake_case, dotted inside complex types), and how to read it.</summary>
internal sealed class CapturedProperty(IProperty property, string field, bool sensitive)
{
    public IProperty Property { get; } = property;

    public string Field { get; } = field;

    public bool Sensitive { get; } = sensitive;

    public ValueComparer Comparer { get; } = property.GetValueComparer();

    /// <summary>Whether the database may produce the value on insert or update (generated keys, defaults, computed columns, foreign keys to generated keys).</summary>
    public bool MayBeGenerated { get; } = property.ValueGenerated != ValueGenerated.Never || property.IsForeignKey();

    public bool GeneratedOnUpdate { get; } = property.ValueGenerated.HasFlag(ValueGenerated.OnUpdate);

    public static IEnumerable<CapturedProperty> Of(IEntityType entityType, HashSet<IReadOnlyProperty> excluded, HashSet<string> ignored)
    {
        var properties = new List<CapturedProperty>();
        Add(entityType, "", sensitive: false, excluded, ignored, properties);
        return properties;
    }

    private static void Add(ITypeBase type, string prefix, bool sensitive, HashSet<IReadOnlyProperty> excluded, HashSet<string> ignored, List<CapturedProperty> properties)
    {
        foreach (var property in type.GetProperties())
        {
            // Row versions and similar tokens change on every update and say nothing about what the user changed.
            if (excluded.Contains(property) || (prefix.Length == 0 && ignored.Contains(property.Name)) ||
                (property.IsConcurrencyToken && property.ValueGenerated != ValueGenerated.Never))
            {
                continue;
            }

            properties.Add(new CapturedProperty(property, prefix + CaptureAnnotations.SnakeCase(property.Name), sensitive || EntityPlan.IsSensitive(property)));
        }

        foreach (var complex in type.GetComplexProperties())
        {
            if (complex.IsCollection || (prefix.Length == 0 && ignored.Contains(complex.Name)))
            {
                continue;
            }

            Add(complex.ComplexType, prefix + CaptureAnnotations.SnakeCase(complex.Name) + ".", sensitive || EntityPlan.IsSensitive(complex), excluded, ignored, properties);
        }
    }
}

/// <summary>A navigation from a captured type to an owned type: reference changes are dotted fields, collections are lists.</summary>
internal sealed record OwnedNavigationPlan(string Name, string Field, bool IsCollection, EntityPlan Target);

/// <summary>One captured side of a many-to-many relationship: the join entity's foreign keys to the owner and to the related entity.</summary>
internal sealed record JoinSidePlan(EntityPlan Owner, string Field, IProperty[] OwnerForeignKey, IProperty[] RelatedForeignKey);

internal static class ChangeVerbs
{
    public const string Created = "created";
    public const string Updated = "updated";
    public const string Deleted = "deleted";
}

using System.Linq.Expressions;
using ActivityLog.EntityFrameworkCore.ChangeCapture;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>
/// Configures how one entity type is captured; handed to
/// <see cref="Microsoft.EntityFrameworkCore.ActivityCaptureModelBuilderExtensions.CaptureActivity{TEntity}(EntityTypeBuilder{TEntity}, Action{ActivityCaptureBuilder{TEntity}}?)"/>.
/// </summary>
/// <typeparam name="TEntity">The entity type.</typeparam>
public sealed class ActivityCaptureBuilder<TEntity>
    where TEntity : class
{
    private readonly EntityTypeBuilder<TEntity> _entity;

    internal ActivityCaptureBuilder(EntityTypeBuilder<TEntity> entity) => _entity = entity;

    /// <summary>Sets the resource type of the events, as <see cref="CaptureActivityAttribute.ResourceType"/> does.</summary>
    /// <param name="resourceType">Lowercase letters, digits and underscores, starting with a letter, such as <c>order</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="resourceType"/> is not a valid resource type.</exception>
    public ActivityCaptureBuilder<TEntity> ResourceType(string resourceType)
    {
        CaptureAnnotations.ValidateResourceType(resourceType, typeof(TEntity).Name);
        _entity.HasAnnotation(CaptureAnnotations.Capture, resourceType);
        return this;
    }

    /// <summary>Names the property whose value names the resource in sentences, as <see cref="CaptureActivityAttribute.NameProperty"/> does.</summary>
    /// <param name="property">The property, such as <c>o =&gt; o.Number</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The expression is not a simple property access.</exception>
    public ActivityCaptureBuilder<TEntity> Name(Expression<Func<TEntity, object?>> property)
    {
        _entity.HasAnnotation(CaptureAnnotations.NameProperty, PropertyName(property));
        return this;
    }

    /// <summary>Never records changes of these properties, for example a last-modified timestamp.</summary>
    /// <param name="property">The property, such as <c>o =&gt; o.UpdatedAt</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The expression is not a simple property access.</exception>
    public ActivityCaptureBuilder<TEntity> Ignore(Expression<Func<TEntity, object?>> property)
    {
        string name = PropertyName(property);
        string? existing = _entity.Metadata.FindAnnotation(CaptureAnnotations.IgnoredProperties)?.Value as string;
        _entity.HasAnnotation(CaptureAnnotations.IgnoredProperties, string.IsNullOrEmpty(existing) ? name : existing + "," + name);
        return this;
    }

    private static string PropertyName(Expression<Func<TEntity, object?>> property)
    {
        ArgumentNullException.ThrowIfNull(property);
        Expression body = property.Body is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert
            ? convert.Operand
            : property.Body;
        return body is MemberExpression { Expression: ParameterExpression } member
            ? member.Member.Name
            : throw new ArgumentException($"'{property}' is not a property of {typeof(TEntity).Name}; write it as e => e.Property.", nameof(property));
    }
}

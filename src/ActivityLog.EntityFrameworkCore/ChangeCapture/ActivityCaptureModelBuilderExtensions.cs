using ActivityLog;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.EntityFrameworkCore.ChangeCapture;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Opts entity types into automatic change capture from <c>OnModelCreating</c>.</summary>
public static class ActivityCaptureModelBuilderExtensions
{
    /// <summary>
    /// Records <c>activity_log.&lt;resource_type&gt;.created/updated/deleted</c> for this entity type in every
    /// <c>SaveChanges</c>, in the same transaction: the fluent form of <see cref="CaptureActivityAttribute"/>. Stored
    /// as model annotations, so it also works for types you cannot put an attribute on.
    /// </summary>
    /// <remarks>
    /// What is recorded, and what capture cannot see (<c>ExecuteUpdate</c>, <c>ExecuteDelete</c>, raw SQL, entities
    /// attached without original values), is described on <see cref="CaptureActivityAttribute"/>.
    /// </remarks>
    /// <example>
    /// <code>
    /// modelBuilder.Entity&lt;Order&gt;().CaptureActivity(c => c.ResourceType("order").Name(o => o.Number).Ignore(o => o.UpdatedAt));
    /// </code>
    /// </example>
    /// <typeparam name="TEntity">The entity type.</typeparam>
    /// <param name="builder">The entity type's builder.</param>
    /// <param name="configure">Sets the resource type, the name property and ignored properties; all optional.</param>
    /// <returns>The entity type's builder.</returns>
    public static EntityTypeBuilder<TEntity> CaptureActivity<TEntity>(this EntityTypeBuilder<TEntity> builder, Action<ActivityCaptureBuilder<TEntity>>? configure = null)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        MarkCaptured(builder);
        configure?.Invoke(new ActivityCaptureBuilder<TEntity>(builder));
        return builder;
    }

    /// <summary>
    /// Records <c>activity_log.&lt;resource_type&gt;.created/updated/deleted</c> for this entity type in every
    /// <c>SaveChanges</c>, in the same transaction; for shared-type and non-generic configuration.
    /// </summary>
    /// <param name="builder">The entity type's builder.</param>
    /// <param name="resourceType">The resource type, or <see langword="null"/> for the CLR type name in snake_case.</param>
    /// <param name="nameProperty">The property that names the resource in sentences, or <see langword="null"/>.</param>
    /// <returns>The entity type's builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="resourceType"/> is not a valid resource type.</exception>
    public static EntityTypeBuilder CaptureActivity(this EntityTypeBuilder builder, string? resourceType = null, string? nameProperty = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        MarkCaptured(builder);
        if (resourceType is not null)
        {
            CaptureAnnotations.ValidateResourceType(resourceType, builder.Metadata.DisplayName());
            builder.HasAnnotation(CaptureAnnotations.Capture, resourceType);
        }

        if (nameProperty is not null)
        {
            builder.HasAnnotation(CaptureAnnotations.NameProperty, nameProperty);
        }

        return builder;
    }

    private static void MarkCaptured(EntityTypeBuilder builder)
    {
        if (builder.Metadata.FindAnnotation(CaptureAnnotations.Capture) is null)
        {
            builder.HasAnnotation(CaptureAnnotations.Capture, "");
        }
    }
}

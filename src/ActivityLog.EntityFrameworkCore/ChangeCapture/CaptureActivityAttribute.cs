using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog;

/// <summary>
/// Opts an entity type into automatic change capture: every <c>SaveChanges</c> that adds, modifies or deletes one
/// records <c>activity_log.&lt;resource_type&gt;.created</c>, <c>.updated</c> or <c>.deleted</c> with the changed
/// properties, in the same transaction. The fluent equivalent is
/// <see cref="Microsoft.EntityFrameworkCore.ActivityCaptureModelBuilderExtensions.CaptureActivity{TEntity}(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder{TEntity}, Action{ActivityLog.EntityFrameworkCore.ActivityCaptureBuilder{TEntity}}?)"/>.
/// </summary>
/// <remarks>
/// <para>
/// Inherited by derived entity types, which record under their own snake_case type name unless
/// <see cref="ResourceType"/> is set. On an owned type it has no effect: the changes of owned entities are recorded
/// on their captured owner (<c>shipping_address.city</c>). Properties marked with <see cref="SensitiveDataAttribute"/> (or a
/// <c>Microsoft.Extensions.Compliance</c> data classification) are recorded as <c>[FILTERED]</c>.
/// </para>
/// <para>
/// Changes are recorded under the property names in snake_case, <c>from</c> the loaded value <c>to</c> the saved one:
/// created entities from <see langword="null"/>, deleted ones to <see langword="null"/>, updated ones only with the
/// properties whose value really changed (an update that changes nothing records nothing). Owned and complex types
/// are dotted fields of their owner (<c>shipping_address.city</c>); an owned collection is one field holding its items;
/// a many-to-many change is an update of each captured side with the sorted keys of the related entities. Keys the
/// database generates are reported as generated, in the same transaction.
/// </para>
/// <para>
/// Capture reads EF Core's change tracker inside <c>SaveChanges</c>, so it cannot see what bypasses it:
/// <c>ExecuteUpdate</c> and <c>ExecuteDelete</c>, raw SQL (<c>ExecuteSql</c>), stored procedures and triggers, rows the
/// database deletes by <c>ON DELETE CASCADE</c> without the context tracking them, and changes by other applications.
/// An entity attached with <c>Update</c> or <c>Attach</c> has no original values, so nothing differs and nothing is
/// recorded. Record those with <see cref="IActivityRecorder"/>, inside
/// <see cref="Microsoft.EntityFrameworkCore.ActivityLogDbContextExtensions.RecordActivities(Microsoft.EntityFrameworkCore.DbContext)"/>
/// to keep them in the transaction.
/// </para>
/// <para>
/// Capture needs the ActivityLog interceptor on the context: <c>services.AddActivityLog().AddEntityFrameworkStore&lt;TContext&gt;()</c>
/// adds it. What happens when an event cannot be recorded is set by <see cref="ActivityLog.EntityFrameworkCore.ActivityChangeCaptureOptions.OnFailure"/>.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// [CaptureActivity(NameProperty = nameof(Email), IgnoredProperties = [nameof(UpdatedAt)])]
/// public class User { public int Id { get; set; } public string Email { get; set; } = ""; public DateTime UpdatedAt { get; set; } }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class CaptureActivityAttribute : Attribute
{
    /// <summary>
    /// The resource type of the events (the middle part of <c>activity_log.&lt;resource_type&gt;.updated</c>): lowercase
    /// letters, digits and underscores, starting with a letter. <see langword="null"/> (the default) uses the entity's
    /// CLR type name in snake_case (<c>OrderLine</c> → <c>order_line</c>).
    /// </summary>
    public string? ResourceType { get; set; }

    /// <summary>
    /// The property whose value names the resource in sentences ("updated the customer <b>Jane Doe</b>").
    /// <see langword="null"/> (the default) uses a string property called <c>Name</c> or <c>Title</c> when the type has
    /// one that is not marked sensitive, and no name otherwise.
    /// </summary>
    public string? NameProperty { get; set; }

    /// <summary>Properties never recorded as changes, for example a last-modified timestamp. Empty by default.</summary>
    public string[]? IgnoredProperties { get; set; }
}

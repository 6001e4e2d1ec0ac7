using System.Text.Json;
using ActivityLog.Naming;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>The model annotations that <c>CaptureActivity</c> writes, and the naming rules they follow.</summary>
internal static class CaptureAnnotations
{
    /// <summary>Marks a captured entity type; the value is its resource type, or empty for the default.</summary>
    public const string Capture = "ActivityLog:CaptureActivity";

    /// <summary>The property that names the resource.</summary>
    public const string NameProperty = "ActivityLog:CaptureActivityName";

    /// <summary>Comma-separated properties that are never recorded.</summary>
    public const string IgnoredProperties = "ActivityLog:CaptureActivityIgnore";

    /// <summary>The snake_case form used for resource types and change fields: <c>ShippingAddress</c> → <c>shipping_address</c>.</summary>
    public static string SnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    /// <summary>Whether a resource type can sit in an event name: the one segment rule (<see cref="ActivityEventName"/>).</summary>
    public static bool IsValidResourceType(string? resourceType) => ActivityEventName.IsSegment(resourceType);

    public static void ValidateResourceType(string resourceType, string entityName)
    {
        if (!IsValidResourceType(resourceType))
        {
            throw new ArgumentException(
                $"'{resourceType}' cannot be the resource type of {entityName}: use lowercase letters, digits and underscores, starting with a letter, at most {ActivityLimits.MaxTypeLength} characters.",
                nameof(resourceType));
        }
    }
}

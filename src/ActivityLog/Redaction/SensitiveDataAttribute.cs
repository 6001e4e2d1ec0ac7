namespace ActivityLog;

/// <summary>
/// Marks a property or field whose value must never be recorded: its changes are masked with <c>[FILTERED]</c>.
/// </summary>
/// <remarks>
/// Takes effect for a resource type through <see cref="ActivityRedactionOptions.AddSensitiveProperties{T}(string)"/>
/// and for automatic change capture, which masks every member marked with it.
/// On a positional record, write <c>[property: SensitiveData]</c> so the attribute lands on the property.
/// Any <c>Microsoft.Extensions.Compliance.Classification.DataClassificationAttribute</c> has the same effect.
/// </remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false, Inherited = true)]
public sealed class SensitiveDataAttribute : Attribute
{
}

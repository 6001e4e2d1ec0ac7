using System.Reflection;
using Microsoft.Extensions.Compliance.Classification;

namespace ActivityLog.Redaction;

/// <summary>Tells whether a property or field holds sensitive data, for change capture and serialization of entities.</summary>
internal static class SensitiveMembers
{
    /// <summary>
    /// Returns whether <paramref name="member"/> is marked with <see cref="SensitiveDataAttribute"/> or with any
    /// <see cref="DataClassificationAttribute"/> (the classifications of <c>Microsoft.Extensions.Compliance</c>),
    /// including attributes inherited from an overridden member.
    /// </summary>
    /// <remarks>
    /// <see cref="NoDataClassificationAttribute"/> (and any classification equal to
    /// <see cref="DataClassification.None"/>) explicitly declares data as not classified, so it does not make a member
    /// sensitive. <see cref="UnknownDataClassificationAttribute"/> does. Thread-safe.
    /// </remarks>
    /// <param name="member">The property or field.</param>
    /// <returns><see langword="true"/> when the member's value must be masked.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="member"/> is <see langword="null"/>.</exception>
    public static bool IsSensitive(MemberInfo member)
    {
        ArgumentNullException.ThrowIfNull(member);

        if (Attribute.IsDefined(member, typeof(SensitiveDataAttribute), inherit: true))
        {
            return true;
        }

        foreach (var attribute in Attribute.GetCustomAttributes(member, typeof(DataClassificationAttribute), inherit: true))
        {
            if (((DataClassificationAttribute)attribute).Classification != DataClassification.None)
            {
                return true;
            }
        }

        return false;
    }
}

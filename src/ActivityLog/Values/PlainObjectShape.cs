using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using ActivityLog.Redaction;

namespace ActivityLog.Values;

/// <summary>
/// The members of a plain object type registered with <see cref="ActivityRedactionOptions.AddSensitiveProperties{T}()"/>,
/// read once at registration: what the normalizer walks where reflection-based serialization is off (trimmed or native
/// AOT apps). The registration's <see cref="DynamicallyAccessedMembersAttribute"/> keeps the properties' metadata, so
/// the walk needs no suppressed trim warning.
/// </summary>
/// <remarks>
/// Written as the reflection serializer writes it: public readable instance properties (no indexers), named by
/// <see cref="JsonPropertyNameAttribute"/> or in snake case, <see cref="JsonIgnoreAttribute"/> (always) left out, and
/// every member <see cref="SensitiveMembers.IsSensitive"/> calls sensitive written as the mask.
/// </remarks>
internal sealed class PlainObjectShape
{
    private PlainObjectShape(Member[] members) => Members = members;

    /// <summary>The members, in declaration order.</summary>
    public IReadOnlyList<Member> Members { get; }

    /// <summary>Reads the members of <typeparamref name="T"/>.</summary>
    public static PlainObjectShape Of<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>()
    {
        var members = new List<Member>();
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length != 0 || property.GetMethod is not { IsPublic: true })
            {
                continue;
            }

            if (property.GetCustomAttribute<JsonIgnoreAttribute>(inherit: true) is { Condition: JsonIgnoreCondition.Always })
            {
                continue;
            }

            string name = property.GetCustomAttribute<JsonPropertyNameAttribute>(inherit: true)?.Name
                ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
            members.Add(new Member(name, property, SensitiveMembers.IsSensitive(property)));
        }

        return new PlainObjectShape([.. members]);
    }

    /// <summary>One property: its JSON name, its getter and whether it is written as the mask.</summary>
    internal sealed record Member(string Name, PropertyInfo Property, bool Sensitive);
}

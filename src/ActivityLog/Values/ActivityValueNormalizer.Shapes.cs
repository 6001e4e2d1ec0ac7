using System.Reflection;
using System.Text.Json.Nodes;

namespace ActivityLog.Values;

internal sealed partial class ActivityValueNormalizer
{
    private partial struct Walk
    {
        /// <summary>
        /// A registered plain object, where the reflection serializer is off: each property through the walk, a
        /// sensitive one as the mask (its getter is not even called). Nested plain objects follow the same rule.
        /// </summary>
        private JsonNode FromShape(object value, PlainObjectShape shape, int depth)
        {
            if (depth > _limits.MaxDepth)
            {
                return TooDeep();
            }

            Add(2);
            var result = new JsonObject();
            foreach (var member in shape.Members)
            {
                string key = Key(member.Name);
                if (member.Sensitive)
                {
                    Add(_mask.Length + 2);
                    result[key] = _mask;
                    continue;
                }

                object? item;
                try
                {
                    item = member.Property.GetValue(value);
                }
                catch (TargetInvocationException exception) when (exception.InnerException is not null)
                {
                    // The getter's message may quote the value: only its type is said.
                    if (!repair)
                    {
                        throw new RefusedValue($"could not be read ({exception.InnerException.GetType().Name} from the property {member.Property.Name})");
                    }

                    Repaired++;
                    result[key] = ActivityValueLimits.TruncatedMarker;
                    continue;
                }

                result[key] = Child(item, depth, key);
            }

            return result;
        }
    }
}

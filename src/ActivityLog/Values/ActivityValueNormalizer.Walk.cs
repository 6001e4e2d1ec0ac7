using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActivityLog.Serialization;

namespace ActivityLog.Values;

internal sealed partial class ActivityValueNormalizer
{
    /// <summary>
    /// One pass over an event's values: the running size, the count of repairs, and the mode. A struct passed by
    /// reference, so checking an event of primitives allocates nothing.
    /// </summary>
    private partial struct Walk(ActivityValueNormalizer owner, bool repair, int size = 0)
    {
        private readonly ActivityValueLimits _limits = owner._limits;

        private readonly string _mask = owner._mask;

        public int Size = size;

        public int Repaired;

        /// <summary>The size a primitive adds; strings count their characters.</summary>
        public static int ScalarSize(object? value) => value switch
        {
            null => 4,
            string s => s.Length + 2,
            _ => 24,
        };

        public object? Top(object? value, Segment at)
        {
            try
            {
                switch (value)
                {
                    case null:
                        Add(4);
                        return null;
                    case string s:
                        Add(s.Length + 2);
                        return Text(s);
                    case double d:
                        Add(24);
                        return double.IsFinite(d) ? value : NonFinite(d);
                    case float f:
                        Add(24);
                        return float.IsFinite(f) ? value : NonFinite(f);
                    default:
                        if (IsPrimitive(value))
                        {
                            Add(24);
                            return value;
                        }

                        return ToNode(value, 1);
                }
            }
            catch (RefusedValue refused)
            {
                string where = refused.Path.Length == 0 ? string.Empty : $" (at {refused.Path})";
                throw new ArgumentException($"{at.Describe()}{where} {refused.Problem}.", at.Field);
            }
            catch (Exception exception) when (exception is not ArgumentException and not OutOfMemoryException)
            {
                // The value's own code failed (a property getter, a lazy sequence, a reader of nested JSON): its message
                // may quote the value, so only its type is said; Record throws nothing but ArgumentException for input.
                throw new ArgumentException($"{at.Describe()} could not be read ({exception.GetType().Name}).", at.Field);
            }
        }

        /// <summary>A change field name or metadata key counts toward the size limit like a nested key.</summary>
        public void Name(string name, string field)
        {
            try
            {
                Add(name.Length + 3);
            }
            catch (RefusedValue refused)
            {
                throw new ArgumentException($"The {field} {refused.Problem}.", field);
            }
        }

        /// <summary>A storable copy of a text (the same instance when it is fine).</summary>
        public string Text(string text)
        {
            if (StorableText.Problem(text) is not { } problem)
            {
                return text;
            }

            if (!repair)
            {
                throw new RefusedValue(problem);
            }

            Repaired++;
            return StorableText.Repair(text);
        }

        /// <summary>Refuses NaN and the infinities, or repairs them to their names as strings ("NaN", "Infinity", "-Infinity").</summary>
        private string NonFinite(double value)
        {
            if (!repair)
            {
                throw new RefusedValue($"is {Named(value)}, which JSON cannot represent");
            }

            Repaired++;
            return Named(value);
        }

        private void Add(int amount)
        {
            Size += amount;
            if (!repair && Size > _limits.MaxEventSize)
            {
                throw new RefusedValue(
                    $"makes the event's values about {Size:N0} characters of JSON; at most {_limits.MaxEventSize:N0} are allowed (ActivityLog:Limits:MaxEventSize)");
            }
        }

        private JsonNode? ToNode(object? value, int depth)
        {
            if (depth > _limits.MaxDepth)
            {
                return TooDeep();
            }

            switch (value)
            {
                case null:
                    Add(4);
                    return null;
                case string s:
                    Add(s.Length + 2);
                    return JsonValue.Create(Text(s));
                case JsonNode node:
                    return OwnParsed(node.DeepClone(), depth);
                case JsonElement element:
                    return element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : OwnParsed(JsonNode.Parse(element.GetRawText()), depth);
                case IEnumerable<KeyValuePair<string, object?>> pairs:
                    return FromPairs(pairs, depth);
                case IDictionary dictionary:
                    return FromDictionary(dictionary, depth);
                case IEnumerable sequence:
                    return FromSequence(sequence, depth);
                case double d:
                    Add(24);
                    return double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(NonFinite(d));
                case float f:
                    Add(24);
                    return float.IsFinite(f) ? JsonValue.Create(f) : JsonValue.Create(NonFinite(f));
                default:
                    if (IsPrimitive(value))
                    {
                        Add(24);
                        return PrimitiveToNode(value);
                    }

                    if (owner._objects.Serializes)
                    {
                        return Own(owner._objects.ToNode(value, repair), depth);
                    }

                    return owner._objects.TryGetShape(value.GetType(), out var shape)
                        ? FromShape(value, shape, depth)
                        : Own(owner._objects.MaskWhole(value), depth);
            }
        }

        private JsonObject FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs, int depth)
        {
            CheckCount(pairs as ICollection);
            Add(2);
            var result = new JsonObject();
            int count = 0;
            foreach (var (key, item) in pairs)
            {
                if (++count > _limits.MaxCollectionLength)
                {
                    result[ActivityValueLimits.TruncatedMarker] = ActivityValueLimits.TruncatedMarker;
                    break;
                }

                string safeKey = Key(key ?? throw new RefusedValue("has a null key"));
                result[safeKey] = Child(item, depth, safeKey);
            }

            return result;
        }

        private JsonObject FromDictionary(IDictionary dictionary, int depth)
        {
            CheckCount(dictionary);
            Add(2);
            var result = new JsonObject();
            int count = 0;
            foreach (DictionaryEntry entry in dictionary)
            {
                if (++count > _limits.MaxCollectionLength)
                {
                    result[ActivityValueLimits.TruncatedMarker] = ActivityValueLimits.TruncatedMarker;
                    break;
                }

                string safeKey = Key(Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
                result[safeKey] = Child(entry.Value, depth, safeKey);
            }

            return result;
        }

        private JsonArray FromSequence(IEnumerable sequence, int depth)
        {
            CheckCount(sequence as ICollection);
            Add(2);
            var result = new JsonArray();
            foreach (var item in sequence)
            {
                Add(1);
                // A lazy sequence has no count to refuse up front (it may never end): it is cut at the limit, marked.
                if (result.Count == _limits.MaxCollectionLength)
                {
                    result.Add((JsonNode)JsonValue.Create(ActivityValueLimits.TruncatedMarker));
                    break;
                }

                result.Add(Child(item, depth, result.Count));
            }

            return result;
        }

        private JsonNode? Child(object? item, int depth, string key)
        {
            try
            {
                return ToNode(item, depth + 1);
            }
            catch (RefusedValue refused)
            {
                refused.Prepend(PathKey(key));
                throw;
            }
        }

        private JsonNode? Child(object? item, int depth, int index)
        {
            try
            {
                return ToNode(item, depth + 1);
            }
            catch (RefusedValue refused)
            {
                refused.Prepend($"[{index}]");
                throw;
            }
        }

        /// <summary>
        /// A parsed tree can hold a string escape of a lone surrogate (<c>"\uD83D"</c>), which System.Text.Json refuses to
        /// read as a string: that is the same defect as a lone surrogate given as text.
        /// </summary>
        private JsonNode? OwnParsed(JsonNode? node, int depth)
        {
            try
            {
                return Own(node, depth);
            }
            catch (InvalidOperationException) when (!repair)
            {
                throw new RefusedValue("holds an escaped lone UTF-16 surrogate, which has no UTF-8 encoding");
            }
            catch (InvalidOperationException)
            {
                Repaired++;
                return JsonValue.Create(ActivityValueLimits.TruncatedMarker);
            }
        }

        /// <summary>Checks (or repairs) a tree the pipeline owns, in place; returns the node to keep in its place.</summary>
        private JsonNode? Own(JsonNode? node, int depth)
        {
            switch (node)
            {
                case null:
                    Add(4);
                    return null;
                case JsonObject obj:
                    return OwnObject(obj, depth);
                case JsonArray array:
                    return OwnArray(array, depth);
                default:
                    return OwnValue(node.AsValue());
            }
        }

        private JsonNode OwnObject(JsonObject obj, int depth)
        {
            if (depth > _limits.MaxDepth)
            {
                return TooDeep();
            }

            Add(2);
            if (obj.Count > _limits.MaxCollectionLength)
            {
                Refuse(obj.Count);
                while (obj.Count > _limits.MaxCollectionLength)
                {
                    obj.RemoveAt(obj.Count - 1);
                }

                obj[ActivityValueLimits.TruncatedMarker] = ActivityValueLimits.TruncatedMarker;
            }

            List<(string Key, string SafeKey, JsonNode? Node)>? replaced = null;
            foreach (var (key, child) in obj)
            {
                JsonNode? kept;
                string safeKey = Key(key);
                try
                {
                    kept = Own(child, depth + 1);
                }
                catch (RefusedValue refused)
                {
                    refused.Prepend("." + key);
                    throw;
                }

                if (!ReferenceEquals(kept, child) || !ReferenceEquals(safeKey, key))
                {
                    (replaced ??= []).Add((key, safeKey, kept));
                }
            }

            if (replaced is not null)
            {
                foreach (var (key, safeKey, kept) in replaced)
                {
                    obj.Remove(key);
                    obj[safeKey] = kept?.Parent is null ? kept : kept.DeepClone();
                }
            }

            return obj;
        }

        private JsonNode OwnArray(JsonArray array, int depth)
        {
            if (depth > _limits.MaxDepth)
            {
                return TooDeep();
            }

            Add(2 + array.Count);
            if (array.Count > _limits.MaxCollectionLength)
            {
                Refuse(array.Count);
                while (array.Count > _limits.MaxCollectionLength)
                {
                    array.RemoveAt(array.Count - 1);
                }

                array.Add((JsonNode)JsonValue.Create(ActivityValueLimits.TruncatedMarker));
            }

            for (int i = 0; i < array.Count; i++)
            {
                var child = array[i];
                JsonNode? kept;
                try
                {
                    kept = Own(child, depth + 1);
                }
                catch (RefusedValue refused)
                {
                    refused.Prepend($"[{i}]");
                    throw;
                }

                if (!ReferenceEquals(kept, child))
                {
                    array[i] = kept;
                }
            }

            return array;
        }

        private JsonValue? OwnValue(JsonValue value)
        {
            if (value.TryGetValue(out string? text))
            {
                Add(text.Length + 2);
                string safe = Text(text);
                return ReferenceEquals(safe, text) ? value : JsonValue.Create(safe);
            }

            Add(24);
            if (value.TryGetValue(out double d))
            {
                return double.IsFinite(d) ? value : JsonValue.Create(NonFinite(d));
            }

            if (value.TryGetValue(out float f))
            {
                return float.IsFinite(f) ? value : JsonValue.Create(NonFinite(f));
            }

            if (value.TryGetValue(out bool _) || value.TryGetValue(out long _) || value.TryGetValue(out decimal _))
            {
                return value;
            }

            // Anything else (a char, a Half, a Guid, a date, a wrapped object): judge what it writes, as a sink would
            // read it. A value that cannot be written at all (Half.NaN) is refused like any non-finite number.
            JsonNode? written;
            try
            {
                written = JsonNode.Parse(value.ToJsonString());
            }
            catch (Exception exception) when (exception is JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                if (!repair)
                {
                    throw new RefusedValue($"holds a JSON value that cannot be written as JSON ({exception.GetType().Name})");
                }

                Repaired++;
                return JsonValue.Create(ActivityValueLimits.TruncatedMarker);
            }

            if (written is not JsonValue parsed)
            {
                return null;
            }

            if (parsed.TryGetValue(out string? writtenText))
            {
                string safe = Text(writtenText);
                return ReferenceEquals(safe, writtenText) ? parsed : JsonValue.Create(safe);
            }

            return parsed;
        }

        /// <summary>
        /// A key as the path shows it: identifier-like keys of up to 64 characters as written, any other as <c>.[key]</c>,
        /// since a key can itself be personal data (a dictionary keyed by e-mail address).
        /// </summary>
        private static string PathKey(string key) =>
            key.Length is > 0 and <= 64 && key.AsSpan().IndexOfAnyExcept(IdentifierChars) < 0 ? "." + key : ".[key]";

        private static readonly System.Buffers.SearchValues<char> IdentifierChars =
            System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

        /// <summary>A key is checked like any text; a refused key is not quoted in the path (it is what is wrong).</summary>
        private string Key(string key)
        {
            Add(key.Length + 3);
            try
            {
                return Text(key);
            }
            catch (RefusedValue refused)
            {
                throw new RefusedValue("has a key that " + refused.Problem);
            }
        }

        private readonly void CheckCount(ICollection? collection)
        {
            if (collection is not null && collection.Count > _limits.MaxCollectionLength)
            {
                Refuse(collection.Count);
            }
        }

        /// <summary>Refuses a collection whose length is known to exceed the limit (repairing keeps its head, marked).</summary>
        private readonly void Refuse(int count)
        {
            if (!repair)
            {
                throw new RefusedValue(
                    $"holds a collection of {count:N0} elements; at most {_limits.MaxCollectionLength:N0} are allowed (ActivityLog:Limits:MaxCollectionLength)");
            }
        }

        private JsonValue TooDeep()
        {
            if (!repair)
            {
                throw new RefusedValue($"is nested deeper than {_limits.MaxDepth} levels, or contains itself (ActivityLog:Limits:MaxDepth)");
            }

            Repaired++;
            return JsonValue.Create(ActivityValueLimits.TruncatedMarker);
        }

        /// <summary>Repair only: replaces the largest top-level values with the marker until the event fits the size limit.</summary>
        public (IReadOnlyList<ActivityChange>, IReadOnlyDictionary<string, object?>?) Shrink(
            IReadOnlyList<ActivityChange> changes, Dictionary<string, object?>? metadata)
        {
            var changed = changes.ToArray();
            var sizes = new List<(int Size, int Change, bool IsTo, string? Key)>();
            for (int i = 0; i < changed.Length; i++)
            {
                sizes.Add((Measure(changed[i].From), i, false, null));
                sizes.Add((Measure(changed[i].To), i, true, null));
            }

            foreach (var (key, value) in metadata ?? [])
            {
                sizes.Add((Measure(value), -1, false, key));
            }

            sizes.Sort((a, b) => b.Size.CompareTo(a.Size));
            int total = 0;
            foreach (var entry in sizes)
            {
                total += entry.Size;
            }

            foreach (var (size, change, isTo, key) in sizes)
            {
                if (total <= _limits.MaxEventSize)
                {
                    break;
                }

                total -= size - ActivityValueLimits.TruncatedMarker.Length;
                Repaired++;
                if (key is not null)
                {
                    metadata![key] = ActivityValueLimits.TruncatedMarker;
                }
                else
                {
                    changed[change] = isTo
                        ? changed[change] with { To = ActivityValueLimits.TruncatedMarker }
                        : changed[change] with { From = ActivityValueLimits.TruncatedMarker };
                }
            }

            Size = total;
            return (changed, metadata);
        }

        private static int Measure(object? value) => value switch
        {
            JsonNode node => node.ToJsonString().Length,
            _ => ScalarSize(value),
        };

        private static JsonNode PrimitiveToNode(object value)
        {
            // Write through the contract's own value writer so a primitive nested in a dictionary looks the same as a top-level one.
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(32);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                ActivityJsonValues.Write(writer, value);
            }

            return JsonNode.Parse(buffer.WrittenSpan)!;
        }
    }

    /// <summary>A value broke a rule; carries the path inside the value, built while the walk unwinds. Never the value.</summary>
    private sealed class RefusedValue(string problem) : Exception(problem)
    {
        private string _path = string.Empty;

        public string Problem { get; } = problem;

        public string Path => _path.Length == 0 ? string.Empty : "$" + _path;

        public void Prepend(string segment) => _path = segment + _path;
    }
}

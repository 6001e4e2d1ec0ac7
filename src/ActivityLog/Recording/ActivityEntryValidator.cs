// The parameter names in these exceptions name the caller's field (changes, related, accountId), which is
// what a developer needs to see, rather than this helper's own parameter.
#pragma warning disable CA2208

using System.Runtime.CompilerServices;
using ActivityLog.Naming;
using ActivityLog.Values;

namespace ActivityLog;

/// <summary>
/// Checks an entry against the contract and <see cref="ActivityLimits"/>. Each failure is an
/// <see cref="ArgumentException"/> whose parameter name and message name the bad field but never quote a value that
/// might be sensitive (change values are never quoted).
/// </summary>
internal static class ActivityEntryValidator
{
    public static void Validate(in ActivityEntry entry)
    {
        ValidateEventName(entry.EventName);
        ValidateAmbient(entry.Actor, entry.AccountId, entry.Context);

        if (entry.Resource is { } resource)
        {
            CheckResource(resource, ResourceFields);
        }

        var related = entry.RelatedResources;
        if (related.Length > ActivityLimits.MaxRelatedResources)
        {
            throw new ArgumentException(
                $"An activity may name at most {ActivityLimits.MaxRelatedResources} related resources; got {related.Length}.", "related");
        }

        for (int i = 0; i < related.Length; i++)
        {
            CheckResource(related[i], RelatedFields[i]);
        }

        var changes = entry.Changes;
        if (changes.Length > ActivityLimits.MaxChanges)
        {
            throw new ArgumentException($"An activity may carry at most {ActivityLimits.MaxChanges} changes; got {changes.Length}.", "changes");
        }

        for (int i = 0; i < changes.Length; i++)
        {
            string field = changes[i].Field;
            if (string.IsNullOrWhiteSpace(field))
            {
                throw new ArgumentException($"Change {i} has no field name: every change needs the name of the field that changed.", "changes");
            }

            CheckLength(field, ActivityLimits.MaxFieldNameLength, "changes.field");
            for (int j = 0; j < i; j++)
            {
                if (string.Equals(changes[j].Field, field, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"The field '{field}' is changed twice (changes {j} and {i}); give each field once.", "changes");
                }
            }
        }

        // Metadata is validated on the recorder's own copy (see ValidateMetadata).
    }

    /// <summary>
    /// Checks the values an entry and an <see cref="ActivityScope"/> share (actor, account, context), so ambient values
    /// meet the same rules as the ones given to <c>Record</c>.
    /// </summary>
    public static void ValidateAmbient(ActivityActor? actor, string? accountId, ActivityRequestContext? context)
    {
        if (actor is { } a && !a.IsUnknown)
        {
            CheckType(a.Type, "actor.type");
            CheckIdentifier(a.Identifier, "actor.id");
            CheckLength(a.Name, ActivityLimits.MaxNameLength, "actor.name");
        }

        if (accountId is { } account)
        {
            if (account.Length == 0 || string.IsNullOrWhiteSpace(account))
            {
                throw new ArgumentException("The account id is empty; pass null for an activity without an account.", nameof(accountId));
            }

            CheckLength(account, ActivityLimits.MaxIdLength, "accountId");
        }

        if (context is not null)
        {
            CheckLength(context.IpAddress, ActivityLimits.MaxContextValueLength, "context.ip_address");
            CheckLength(context.UserAgent, ActivityLimits.MaxContextValueLength, "context.user_agent");
            CheckLength(context.AuthMethod, ActivityLimits.MaxContextValueLength, "context.auth_method");
            CheckLength(context.CorrelationId, ActivityLimits.MaxContextValueLength, "context.correlation_id");
        }

    }

    /// <summary>The exception for an activity without an account when the host requires one (<see cref="ActivityMissingAccountMode.Throw"/>).</summary>
    public static ArgumentException MissingAccount() => new(
        "The activity has no account: pass accountId, or record inside an ActivityScope that has one. This host requires an account on every event (ActivityLog:MissingAccount is Throw).",
        "accountId");

    /// <summary>Checks metadata keys; the recorder calls it on its copy, so later changes by the caller cannot slip past.</summary>
    public static void ValidateMetadata(IReadOnlyDictionary<string, object?> metadata)
    {
        foreach (var key in metadata.Keys)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new ArgumentException("A metadata key is empty.", nameof(metadata));
            }

            CheckLength(key, ActivityLimits.MaxFieldNameLength, "metadata.key");
        }
    }

    /// <summary>
    /// At least three dot-separated segments of lowercase snake_case (<c>activity_log.user.updated</c>): the last two
    /// are the resource type and the verb the default description reads.
    /// </summary>
    public static void ValidateEventName(string? eventName)
    {
        // Event names are nearly always literals, so the same string instance comes back on every call: remember
        // the instances that passed (by reference, strings are immutable) and skip the character loop for them.
        int slot = eventName is null ? 0 : RuntimeHelpers.GetHashCode(eventName) & (ValidNames.Length - 1);
        if (eventName is not null && ReferenceEquals(Volatile.Read(ref ValidNames[slot]), eventName))
        {
            return;
        }

        ValidateEventNameCharacters(eventName);
        Volatile.Write(ref ValidNames[slot], eventName);
    }

    private static readonly string?[] ValidNames = new string?[256];
    private static readonly string?[] ValidTypes = new string?[64];

    private static void ValidateEventNameCharacters(string? eventName)
    {
        if (string.IsNullOrWhiteSpace(eventName))
        {
            throw new ArgumentException($"The event name is empty; {ActivityEventName.NameGrammar}.", nameof(eventName));
        }

        if (eventName.Length > ActivityLimits.MaxEventNameLength)
        {
            throw new ArgumentException(
                $"The event name is {eventName.Length} characters long; at most {ActivityLimits.MaxEventNameLength} are allowed.", nameof(eventName));
        }

        if (ActivityEventName.DescribeName(eventName) is { } problem)
        {
            throw new ArgumentException($"The event name '{eventName}' is malformed: {problem}; {ActivityEventName.NameGrammar}.", nameof(eventName));
        }
    }

    // Field names built once: validation runs on every Record and must not allocate.
    private static readonly FieldNames ResourceFields = new("resource", "resource");
    private static readonly FieldNames[] RelatedFields =
        [.. Enumerable.Range(0, ActivityLimits.MaxRelatedResources).Select(i => new FieldNames("related", $"related[{i}]"))];

    private static void CheckResource(ActivityResource resource, FieldNames field)
    {
        if (resource.Type is null)
        {
            throw new ArgumentException($"The {field.Path} has no type; create it with new ActivityResource(type, id, name).", field.Self);
        }

        CheckType(resource.Type, field.Type);
        CheckIdentifier(resource.Identifier, field.Id);
        CheckLength(resource.Name, ActivityLimits.MaxNameLength, field.Name);
    }

    /// <summary>The parameter names of one resource's fields: <c>resource.type</c>, <c>related[2].id</c>.</summary>
    private sealed class FieldNames(string self, string path)
    {
        public string Self { get; } = self;

        public string Path { get; } = path;

        public string Type { get; } = path + ".type";

        public string Id { get; } = path + ".id";

        public string Name { get; } = path + ".name";
    }

    /// <summary>Resource and actor types follow the event name's segment rule, so any type can sit in a name.</summary>
    private static void CheckType(string? type, string field)
    {
        // Types are nearly always literals too: the instances that passed skip the checks, as event names do.
        int slot = type is null ? 0 : RuntimeHelpers.GetHashCode(type) & (ValidTypes.Length - 1);
        if (type is not null && ReferenceEquals(Volatile.Read(ref ValidTypes[slot]), type))
        {
            return;
        }

        // Length and storability first: their messages never quote the value (a NUL or lone surrogate may hide a secret).
        CheckLength(type, ActivityLimits.MaxTypeLength, field);
        if (type is null)
        {
            return;
        }

        if (ActivityEventName.DescribeType(type) is { } problem)
        {
            // A type is a code-side identifier, not a user value, so it is quoted (cut, in case it is long).
            string shown = type.Length > 40 ? type[..40] + "…" : type;
            throw new ArgumentException($"The {field} '{shown}' is not a valid type: {problem}; a type is {ActivityEventName.SegmentGrammar}.", field);
        }

        Volatile.Write(ref ValidTypes[slot], type);
    }

    private static void CheckIdentifier(ActivityIdentifier id, string field)
    {
        if (!id.IsNumber)
        {
            CheckLength(id.ToString(), ActivityLimits.MaxIdLength, field);
        }
    }

    /// <summary>Checks a text's length and that every store can hold it (<see cref="StorableText"/>).</summary>
    private static void CheckLength(string? value, int max, string field)
    {
        if (value is not null)
        {
            if (value.Length > max)
            {
                throw TooLong(field, value.Length, max);
            }

            StorableText.Check(value, field);
        }
    }

    private static ArgumentException TooLong(string field, int length, int max) =>
        new($"The {field} is {length} characters long; at most {max} are allowed (see ActivityLimits).", field);
}

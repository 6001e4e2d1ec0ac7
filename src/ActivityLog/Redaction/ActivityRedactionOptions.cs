using ActivityLog.Redaction;
using ActivityLog.Values;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActivityLog;

/// <summary>
/// Which keys of changes, context and metadata are masked before any sink sees an event, with the semantics of
/// Rails' <c>filter_parameters</c> (<c>ActiveSupport::ParameterFilter</c>). Bindable from configuration.
/// </summary>
/// <remarks>
/// <para>
/// A plain filter matches every key that contains it, ignoring case (<c>passw</c> filters
/// <c>password_confirmation</c>). A filter with a dot (<c>credit_card.code</c>) is matched, the same way, against the
/// dotted path of nested keys, so it filters <c>{"credit_card":{"code":…}}</c> but not <c>{"file":{"code":…}}</c>.
/// A regular expression matches the key as written; one whose pattern contains <c>\.</c> is matched against the
/// dotted path instead.
/// </para>
/// <para>
/// Beyond Rails, a plain filter is also matched against the key's normalised spelling: camelCase and PascalCase
/// boundaries, dashes, whitespace and dots within a key become one underscore and letters become lowercase, so
/// <c>apiKey</c>, <c>api-key</c>, <c>API_KEY</c>, <c>Api Key</c> and <c>api.key</c> all contain <c>_key</c>
/// (<c>monkey</c> does not; <c>MonKey</c> does). Dotted paths are normalised segment by segment, keeping the dots.
/// The filter itself is matched both as written and normalised. Regular expressions see only the key as written.
/// </para>
/// <para>
/// A matching key's whole value (object, array or <see langword="null"/> alike) becomes <see cref="Mask"/> and nothing
/// under it is inspected. Objects are walked recursively; each array element is checked under its array's key. Leaves
/// that no filter masked go through the <see cref="Rewriters"/>.
/// </para>
/// <para>
/// The options are read once, when <see cref="SensitiveFieldRedactor"/> is created; later changes have no effect on it.
/// Not thread-safe while being configured.
/// </para>
/// </remarks>
public sealed class ActivityRedactionOptions
{
    /// <summary>
    /// Plain and dotted filters that apply to every resource type, in addition to the <see cref="UseDefaultFilters">default list</see>.
    /// </summary>
    /// <remarks>
    /// An entry written as <c>/pattern/</c> or <c>/pattern/i</c> (case-insensitive) is a regular expression, so
    /// configuration can hold both kinds; any other entry is plain text. Entries must not be empty.
    /// </remarks>
    /// <value>Empty.</value>
    public IList<string> Filters { get; } = [];

    /// <summary>Regular-expression filters that apply to every resource type; each one's own options decide case sensitivity.</summary>
    /// <value>Empty.</value>
    public IList<Regex> Patterns { get; } = [];

    /// <summary>Delegates that rewrite leaves no filter masked, run in order. See <see cref="SensitiveValueRewriter"/>.</summary>
    /// <value>Empty.</value>
    public IList<SensitiveValueRewriter> Rewriters { get; } = [];

    /// <summary>
    /// Whether <see cref="SensitiveFieldRedactor.DefaultFilters"/> (<c>passw, email, secret, token, _key, crypt, salt,
    /// certificate, otp, ssn, cvv, cvc</c>, the list Rails generates, and <c>authorization, cookie, bearer, session,
    /// pwd, passphrase, recovery_code, backup_code, private_key, client_secret</c>) apply in addition to <see cref="Filters"/>.
    /// </summary>
    /// <value><see langword="true"/>.</value>
    public bool UseDefaultFilters { get; set; } = true;

    /// <summary>The value that replaces a masked value.</summary>
    /// <value><c>[FILTERED]</c>. Must not be <see langword="null"/>.</value>
    public string Mask { get; set; } = "[FILTERED]";

    /// <summary>
    /// Filters that apply only to events whose resource type equals the key (ordinal comparison), in addition to the
    /// global ones. Same syntax as <see cref="Filters"/>. For example <c>user → name</c> masks a user's name changes.
    /// </summary>
    /// <remarks>Binds from configuration as a section per resource type holding a list of filters.</remarks>
    /// <value>Empty.</value>
    public IDictionary<string, IList<string>> ResourceTypeFilters { get; } = new Dictionary<string, IList<string>>(StringComparer.Ordinal);

    /// <summary>Adds filters that apply only to events whose resource type is <paramref name="resourceType"/>.</summary>
    /// <param name="resourceType">The resource type, for example <c>user</c>. Not empty.</param>
    /// <param name="filters">Filters with the syntax of <see cref="Filters"/>, for example <c>name</c>.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="resourceType"/> is empty, or a filter is <see langword="null"/> or empty.</exception>
    public ActivityRedactionOptions FilterResourceFields(string resourceType, params string[] filters)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceType);
        ArgumentNullException.ThrowIfNull(filters);
        foreach (var filter in filters)
        {
            if (string.IsNullOrEmpty(filter))
            {
                throw new ArgumentException("Redaction filters must not be null or empty.", nameof(filters));
            }
        }

        var list = ListFor(resourceType);
        foreach (var filter in filters)
        {
            list.Add(filter);
        }

        return this;
    }

    /// <summary>
    /// Masks, for events whose resource type is <paramref name="resourceType"/>, every public property or field of
    /// <typeparamref name="T"/> marked with <see cref="SensitiveDataAttribute"/> or a
    /// <c>Microsoft.Extensions.Compliance</c> data classification (see <see cref="SensitiveMembers.IsSensitive"/>).
    /// </summary>
    /// <remarks>
    /// Each marked member adds one exact, case-insensitive rule that matches the member's name as written
    /// (<c>CreditCardNumber</c>, as captured from EF Core) and in snake case (<c>credit_card_number</c>, as apps
    /// usually write changes by hand). The rule is added to <see cref="ResourceTypeFilters"/> as <c>/^(?:…)\z/i</c>.
    /// </remarks>
    /// <typeparam name="T">The entity type.</typeparam>
    /// <param name="resourceType">The resource type its events carry, for example <c>user</c>. Not empty.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="resourceType"/> is empty.</exception>
    public ActivityRedactionOptions AddSensitiveProperties<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicFields)] T>(string resourceType)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceType);

        AddSensitiveProperties<T>();
        var list = ListFor(resourceType);
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            AddExactRule(list, property);
        }

        foreach (var field in typeof(T).GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            AddExactRule(list, field);
        }

        return this;
    }

    /// <summary>
    /// Registers <typeparamref name="T"/> as a plain object given as a change or metadata value, so that trimmed and
    /// native AOT apps write its public properties with every member marked <see cref="SensitiveDataAttribute"/> or a
    /// <c>Microsoft.Extensions.Compliance</c> data classification written as <see cref="Mask"/>.
    /// </summary>
    /// <remarks>
    /// Without reflection-based JSON serialization (trimmed and native AOT apps) the members of a value cannot be
    /// inspected, so a plain object of a type not registered here is written as <see cref="Mask"/> whole: it fails
    /// closed, and is counted on the <c>activitylog.values.masked_whole</c> metric and logged once per type. A registered
    /// type is walked member by member, its properties named by <c>[JsonPropertyName]</c> or in snake case, as the
    /// reflection serializer writes them. The registration's <see cref="DynamicallyAccessedMembersAttribute"/> keeps
    /// the metadata that walk reads. Apps with reflection (JIT) need no registration: every plain object is walked.
    /// Registering a type twice has no further effect.
    /// </remarks>
    /// <typeparam name="T">The type of the values, matched exactly (a derived type needs its own registration).</typeparam>
    /// <returns>These options, for chaining.</returns>
    public ActivityRedactionOptions AddSensitiveProperties<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>()
    {
        if (!PlainObjects.ContainsKey(typeof(T)))
        {
            PlainObjects[typeof(T)] = PlainObjectShape.Of<T>();
        }

        return this;
    }

    /// <summary>The plain object types registered with <see cref="AddSensitiveProperties{T}()"/>, by exact type.</summary>
    internal Dictionary<Type, PlainObjectShape> PlainObjects { get; } = [];

    private static void AddExactRule(IList<string> list, MemberInfo member)
    {
        if (!SensitiveMembers.IsSensitive(member))
        {
            return;
        }

        var name = member.Name;
        var snake = JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
        var alternatives = string.Equals(name, snake, StringComparison.OrdinalIgnoreCase)
            ? Regex.Escape(name)
            : Regex.Escape(name) + "|" + Regex.Escape(snake);
        var rule = "/^(?:" + alternatives + @")\z/i";
        if (!list.Contains(rule))
        {
            list.Add(rule);
        }
    }

    private IList<string> ListFor(string resourceType)
    {
        if (!ResourceTypeFilters.TryGetValue(resourceType, out var list) || list is null)
        {
            list = new List<string>();
            ResourceTypeFilters[resourceType] = list;
        }
        else if (list.IsReadOnly)
        {
            // An array assigned by the host: copy it so we can add to it.
            list = new List<string>(list);
            ResourceTypeFilters[resourceType] = list;
        }

        return list;
    }
}

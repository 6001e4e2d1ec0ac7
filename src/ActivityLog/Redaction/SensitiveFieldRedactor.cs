using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActivityLog.Redaction;

/// <summary>
/// Masks sensitive values in changes, context, metadata and JSON parameters with the semantics of Rails'
/// <c>ActiveSupport::ParameterFilter</c>; see <see cref="ActivityRedactionOptions"/> for the rules.
/// </summary>
/// <remarks>
/// Filters are validated and compiled when the redactor is created; a resource type's own rules are compiled the first
/// time an event of that type is redacted, then cached. Thread-safe; create one per application.
/// </remarks>
internal sealed class SensitiveFieldRedactor
{
    // Rails' generated list first, then what web apps leak most. Substring matches on the normalised key, like Rails:
    // "session" masks session_id, "pwd" masks old_pwd but not cwd. private_key and client_secret repeat _key and
    // secret on purpose, so narrowing one of those later cannot unmask them. README.md gives the reason for each.
    private static readonly ReadOnlyCollection<string> Defaults = Array.AsReadOnly(
    [
        "passw", "email", "secret", "token", "_key", "crypt", "salt", "certificate", "otp", "ssn", "cvv", "cvc",
        "authorization", "cookie", "bearer", "session", "pwd", "passphrase", "recovery_code", "backup_code",
        "private_key", "client_secret",
    ]);

    private readonly RedactionFilter[] _globalFilters;
    private readonly RedactionRuleSet _globalRules;
    private readonly FrozenDictionary<string, RedactionFilter[]> _scopedFilters;
    private readonly ConcurrentDictionary<string, RedactionRuleSet> _scopedRules = new(StringComparer.Ordinal);
    private readonly SensitiveValueRewriter[] _rewriters;
    private readonly ILogger _logger;

    /// <summary>Creates a redactor from a snapshot of <paramref name="options"/>.</summary>
    /// <param name="options">The filters, rewriters and mask.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its mask is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// A filter or pattern is <see langword="null"/> or empty, a <c>/pattern/</c> filter is not a valid regular
    /// expression (the message names the filter), a rewriter is <see langword="null"/>, or a resource type is empty.
    /// </exception>
    public SensitiveFieldRedactor(ActivityRedactionOptions options)
        : this(options, null)
    {
    }

    /// <summary>Creates a redactor from a snapshot of <paramref name="options"/> that logs failing rewriters.</summary>
    /// <param name="options">The filters, rewriters and mask.</param>
    /// <param name="logger">
    /// Receives a warning, with the key and the exception type only, when a rewriter throws; <see langword="null"/> logs nothing.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its mask is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// A filter or pattern is <see langword="null"/> or empty, a <c>/pattern/</c> filter is not a valid regular
    /// expression (the message names the filter), a rewriter is <see langword="null"/>, or a resource type is empty.
    /// </exception>
    public SensitiveFieldRedactor(ActivityRedactionOptions options, ILogger<SensitiveFieldRedactor>? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Mask is null)
        {
            throw new ArgumentNullException(nameof(options), "The redaction mask must not be null.");
        }

        Mask = options.Mask;
        _logger = (ILogger?)logger ?? NullLogger.Instance;

        var filters = new List<RedactionFilter>();
        if (options.UseDefaultFilters)
        {
            filters.AddRange(Defaults.Select(d => RedactionFilter.Parse(d, nameof(options))));
        }

        AddFilters(filters, options.Filters, nameof(options));
        foreach (var pattern in options.Patterns)
        {
            filters.Add(RedactionFilter.FromRegex(pattern ?? throw new ArgumentException("Redaction patterns must not be null.", nameof(options))));
        }

        _globalFilters = [.. filters];

        var rewriters = new List<SensitiveValueRewriter>();
        foreach (var rewriter in options.Rewriters)
        {
            rewriters.Add(rewriter ?? throw new ArgumentException("Redaction rewriters must not be null.", nameof(options)));
        }

        _rewriters = [.. rewriters];

        var scoped = new Dictionary<string, RedactionFilter[]>(StringComparer.Ordinal);
        foreach (var (resourceType, typeFilters) in options.ResourceTypeFilters)
        {
            if (string.IsNullOrEmpty(resourceType))
            {
                throw new ArgumentException("Resource types of redaction filters must not be empty.", nameof(options));
            }

            var list = new List<RedactionFilter>();
            AddFilters(list, typeFilters ?? [], nameof(options));
            if (list.Count > 0)
            {
                scoped[resourceType] = [.. list];
            }
        }

        _scopedFilters = scoped.ToFrozenDictionary(StringComparer.Ordinal);
        _globalRules = new RedactionRuleSet(_globalFilters, _rewriters, Mask, _logger);
    }

    /// <summary>
    /// The filters that apply unless <see cref="ActivityRedactionOptions.UseDefaultFilters"/> is turned off: the list
    /// Rails generates (<c>passw, email, secret, token, _key, crypt, salt, certificate, otp, ssn, cvv, cvc</c>) and
    /// <c>authorization, cookie, bearer, session, pwd, passphrase, recovery_code, backup_code, private_key,
    /// client_secret</c>. Like every plain filter they match any key whose normalised spelling contains them.
    /// </summary>
    public static IReadOnlyList<string> DefaultFilters => Defaults;

    /// <summary>The value that replaces a masked value.</summary>
    /// <value>From <see cref="ActivityRedactionOptions.Mask"/>; <c>[FILTERED]</c> by default.</value>
    public string Mask { get; }

    /// <summary>Returns a redacted deep copy of <paramref name="parameters"/>, which is left untouched (Rails' <c>filter</c>).</summary>
    /// <param name="parameters">The JSON object to redact.</param>
    /// <param name="resourceType">The resource type whose own rules also apply, or <see langword="null"/> for the global rules only.</param>
    /// <returns>The redacted copy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is <see langword="null"/>.</exception>
    public JsonObject Redact(JsonObject parameters, string? resourceType = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var copy = (JsonObject)parameters.DeepClone();
        var rules = RulesFor(resourceType);
        if (!rules.IsEmpty)
        {
            rules.RedactObject(copy, null, 0);
        }

        return copy;
    }

    /// <summary>Returns the redacted value for one key (Rails' <c>filter_param</c>).</summary>
    /// <param name="key">The key, or a dotted path of nested keys such as <c>credit_card.code</c>.</param>
    /// <param name="value">A primitive or a <see cref="JsonNode"/>; a node is copied, not changed.</param>
    /// <param name="resourceType">The resource type whose own rules also apply, or <see langword="null"/> for the global rules only.</param>
    /// <returns>The mask when the key is sensitive; otherwise the value with its nested keys redacted and leaves rewritten.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    public object? RedactValue(string key, object? value, string? resourceType = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var rules = RulesFor(resourceType);
        if (rules.IsEmpty)
        {
            return value;
        }

        if (rules.IsMasked(key, key))
        {
            return Mask;
        }

        return rules.RedactUnmasked(key, value is JsonNode node ? node.DeepClone() : value, key);
    }

    /// <summary>
    /// Redacts changes: a sensitive field has both its <see cref="ActivityChange.From"/> and its
    /// <see cref="ActivityChange.To"/> masked; nested <see cref="JsonObject"/> and <see cref="JsonArray"/> values are
    /// walked with the field as their parent key and edited in place.
    /// </summary>
    /// <remarks>Allocates nothing when no value changes, which is the common case for primitive values of plain fields.</remarks>
    /// <param name="changes">The changes.</param>
    /// <param name="resourceType">The resource type of the event, whose own rules also apply.</param>
    /// <returns><paramref name="changes"/> itself when nothing was redacted; otherwise a new list.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="changes"/> is <see langword="null"/>.</exception>
    public IReadOnlyList<ActivityChange> RedactChanges(IReadOnlyList<ActivityChange> changes, string? resourceType)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var rules = RulesFor(resourceType);
        if (rules.IsEmpty)
        {
            return changes;
        }

        ActivityChange[]? redacted = null;
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            var field = change.Field ?? string.Empty;
            object? from;
            object? to;
            if (rules.IsMasked(field, field))
            {
                from = Mask;
                to = Mask;
            }
            else
            {
                from = rules.RedactUnmasked(field, change.From, field);
                to = rules.RedactUnmasked(field, change.To, field);
            }

            if (redacted is null && (!ReferenceEquals(from, change.From) || !ReferenceEquals(to, change.To)))
            {
                redacted = new ActivityChange[changes.Count];
                for (var j = 0; j < i; j++)
                {
                    redacted[j] = changes[j];
                }
            }

            if (redacted is not null)
            {
                redacted[i] = new ActivityChange(change.Field!, from, to);
            }
        }

        return redacted ?? changes;
    }

    /// <summary>
    /// Redacts the context under the keys <c>ip_address</c>, <c>user_agent</c>, <c>auth_method</c> and <c>correlation_id</c>.
    /// </summary>
    /// <param name="context">The context, or <see langword="null"/>.</param>
    /// <param name="resourceType">The resource type of the event, whose own rules also apply.</param>
    /// <returns><paramref name="context"/> itself when nothing was redacted; otherwise a redacted copy.</returns>
    public ActivityRequestContext? RedactContext(ActivityRequestContext? context, string? resourceType)
    {
        if (context is null)
        {
            return null;
        }

        var rules = RulesFor(resourceType);
        if (rules.IsEmpty)
        {
            return context;
        }

        var ipAddress = RedactString(rules, "ip_address", context.IpAddress);
        var userAgent = RedactString(rules, "user_agent", context.UserAgent);
        var authMethod = RedactString(rules, "auth_method", context.AuthMethod);
        var correlationId = RedactString(rules, "correlation_id", context.CorrelationId);
        if (ReferenceEquals(ipAddress, context.IpAddress) && ReferenceEquals(userAgent, context.UserAgent)
            && ReferenceEquals(authMethod, context.AuthMethod) && ReferenceEquals(correlationId, context.CorrelationId))
        {
            return context;
        }

        return context with { IpAddress = ipAddress, UserAgent = userAgent, AuthMethod = authMethod, CorrelationId = correlationId };
    }

    /// <summary>Redacts metadata: each entry's key is checked, nested JSON values are walked and edited in place.</summary>
    /// <param name="metadata">The metadata, or <see langword="null"/>.</param>
    /// <param name="resourceType">The resource type of the event, whose own rules also apply.</param>
    /// <returns><paramref name="metadata"/> itself when nothing was redacted; otherwise a new dictionary in the same order.</returns>
    public IReadOnlyDictionary<string, object?>? RedactMetadata(IReadOnlyDictionary<string, object?>? metadata, string? resourceType)
    {
        if (metadata is null || metadata.Count == 0)
        {
            return metadata;
        }

        var rules = RulesFor(resourceType);
        if (rules.IsEmpty)
        {
            return metadata;
        }

        Dictionary<string, object?>? redacted = null;
        foreach (var (key, value) in metadata)
        {
            var result = rules.IsMasked(key, key) ? Mask : rules.RedactUnmasked(key, value, key);
            if (!ReferenceEquals(result, value))
            {
                // Copying every entry up front keeps the original order; later entries are overwritten in place.
                redacted ??= new Dictionary<string, object?>(metadata, (metadata as Dictionary<string, object?>)?.Comparer ?? StringComparer.Ordinal);
                redacted[key] = result;
            }
        }

        return redacted ?? metadata;
    }

    private string? RedactString(RedactionRuleSet rules, string key, string? value)
    {
        if (rules.IsMasked(key, key))
        {
            return Mask;
        }

        var result = rules.RedactUnmasked(key, value, key);
        return result switch
        {
            null => null,
            string text => text,
            JsonValue node when node.TryGetValue<string>(out var text) => text,
            JsonNode node => node.ToJsonString(),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => result.ToString(),
        };
    }

    private RedactionRuleSet RulesFor(string? resourceType)
    {
        if (resourceType is null || _scopedFilters.Count == 0)
        {
            return _globalRules;
        }

        if (_scopedRules.TryGetValue(resourceType, out var rules))
        {
            return rules;
        }

        // Only resource types with rules of their own get an entry, so the cache is bounded by the configuration.
        return _scopedFilters.ContainsKey(resourceType)
            ? _scopedRules.GetOrAdd(resourceType, static (type, self) => self.Compile(type), this)
            : _globalRules;
    }

    private RedactionRuleSet Compile(string resourceType) =>
        new([.. _globalFilters, .. _scopedFilters[resourceType]], _rewriters, Mask, _logger);

    private static void AddFilters(List<RedactionFilter> target, IEnumerable<string> filters, string paramName)
    {
        foreach (var filter in filters)
        {
            target.Add(RedactionFilter.Parse(filter, paramName));
        }
    }
}

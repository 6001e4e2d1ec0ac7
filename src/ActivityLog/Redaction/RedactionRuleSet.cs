using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Redaction;

/// <summary>
/// The filters of one scope (the global ones, or the global ones plus a resource type's), compiled once, and the walk
/// that applies them. Immutable and thread-safe.
/// </summary>
internal sealed class RedactionRuleSet
{
    // Per-key decisions are cached so the hot path (a handful of distinct field names) skips the regexes; bounded so
    // arbitrary keys cannot grow it without limit.
    private const int MaxCachedKeys = 10_000;
    private const int MaxCachedKeyLength = 256;

    // Deeper trees are masked rather than walked: recursion must not overflow the stack on a hostile value.
    private const int MaxDepth = 64;

    private const RegexOptions PlainOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled;

    private readonly Regex? _plainKeys;
    private readonly Regex[] _keyPatterns;
    private readonly Regex? _plainPaths;
    private readonly Regex[] _pathPatterns;
    private readonly SensitiveValueRewriter[] _rewriters;
    private readonly string _mask;
    private readonly ILogger _logger;
    private readonly bool _hasKeyRules;
    private readonly ConcurrentDictionary<string, bool> _keyCache = new(StringComparer.Ordinal);
    private int _cachedKeys;

    public RedactionRuleSet(IEnumerable<RedactionFilter> filters, SensitiveValueRewriter[] rewriters, string mask, ILogger logger)
    {
        var plainKeys = new List<string>();
        var plainPaths = new List<string>();
        var keyPatterns = new List<Regex>();
        var pathPatterns = new List<Regex>();
        foreach (var filter in filters)
        {
            if (filter.Pattern is { } pattern)
            {
                (filter.IsPath ? pathPatterns : keyPatterns).Add(pattern);
            }
            else if (filter.Text is { } text)
            {
                // Both spellings of the entry: as written (Rails) and normalised, so "apiKey" also masks "api_key".
                var list = filter.IsPath ? plainPaths : plainKeys;
                AddOnce(list, text);
                AddOnce(list, KeySpelling.Normalize(text, keepDots: filter.IsPath));
            }
        }

        _plainKeys = Combine(plainKeys);
        _plainPaths = Combine(plainPaths);
        _keyPatterns = [.. keyPatterns];
        _pathPatterns = [.. pathPatterns];
        _rewriters = rewriters;
        _mask = mask;
        _logger = logger;
        _hasKeyRules = _plainKeys is not null || _keyPatterns.Length > 0;
        HasPathRules = _plainPaths is not null || _pathPatterns.Length > 0;
        IsEmpty = !_hasKeyRules && !HasPathRules && _rewriters.Length == 0;
    }

    /// <summary>Whether some filter is matched against dotted paths, so the walk must build them.</summary>
    public bool HasPathRules { get; }

    /// <summary>Whether no filter and no rewriter exists: every value passes unchanged.</summary>
    public bool IsEmpty { get; }

    /// <summary>Whether the value under <paramref name="key"/> (at <paramref name="path"/>) is masked as a whole.</summary>
    /// <param name="key">The key.</param>
    /// <param name="path">The dotted path ending in <paramref name="key"/>; only read when <see cref="HasPathRules"/>.</param>
    public bool IsMasked(string key, string path) => KeyMatches(key) || (HasPathRules && PathMatches(path));

    /// <summary>
    /// Redacts a value whose own key was not masked: walks JSON trees (editing them in place) and rewrites leaves.
    /// Returns <paramref name="value"/> itself when nothing about it changed.
    /// </summary>
    public object? RedactUnmasked(string key, object? value, string path) => value switch
    {
        JsonNode node => RedactNode(key, node, path, 0),
        System.Text.Json.JsonElement element => RedactNode(key, JsonLeafValues.FromElement(element), path, 0),
        _ => RewriteClr(key, value),
    };

    /// <summary>Redacts the children of a JSON object in place; its own key is not checked.</summary>
    public void RedactObject(JsonObject obj, string? path, int depth)
    {
        for (var i = 0; i < obj.Count; i++)
        {
            var (childKey, child) = obj.GetAt(i);
            var childPath = HasPathRules ? (path is null ? childKey : string.Concat(path, ".", childKey)) : childKey;
            var replacement = IsMasked(childKey, childPath) ? MaskNode() : RedactNode(childKey, child, childPath, depth + 1);
            if (!ReferenceEquals(replacement, child))
            {
                obj.SetAt(i, replacement);
            }
        }
    }

    /// <summary>Builds a fresh node holding the mask (a node can only have one parent).</summary>
    public JsonValue MaskNode() => JsonValue.Create(_mask);

    private JsonNode? RedactNode(string key, JsonNode? node, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            return MaskNode();
        }

        switch (node)
        {
            case JsonObject obj:
                RedactObject(obj, path, depth);
                return obj;
            case JsonArray array:
                // Each element is checked under the array's key and path, as in Rails.
                for (var i = 0; i < array.Count; i++)
                {
                    var element = array[i];
                    var replacement = RedactNode(key, element, path, depth + 1);
                    if (!ReferenceEquals(replacement, element))
                    {
                        array[i] = replacement;
                    }
                }

                return array;
            case JsonValue value when JsonLeafValues.IsContainer(value):
                return RedactNode(key, JsonNode.Parse(value.ToJsonString()), path, depth + 1);
            default:
                return RewriteJsonLeaf(key, (JsonValue?)node);
        }
    }

    private JsonNode? RewriteJsonLeaf(string key, JsonValue? leaf)
    {
        if (_rewriters.Length == 0)
        {
            return leaf;
        }

        var original = leaf is null ? null : JsonLeafValues.ToClr(leaf);
        if (!TryRewrite(key, original, out var rewritten))
        {
            return MaskNode();
        }

        return Equals(rewritten, original) ? leaf : JsonLeafValues.ToNode(rewritten);
    }

    private object? RewriteClr(string key, object? value)
    {
        if (_rewriters.Length == 0)
        {
            return value;
        }

        if (!TryRewrite(key, value, out var rewritten))
        {
            return _mask;
        }

        return Equals(rewritten, value) ? value : rewritten;
    }

    private bool TryRewrite(string key, object? value, out object? result)
    {
        result = value;
        foreach (var rewriter in _rewriters)
        {
            try
            {
                result = rewriter(key, result);
            }
#pragma warning disable CA1031 // Any failure of host code masks the value: a secret must not leak through an exception.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                // The exception's message may quote the value, so only its type is logged.
                RedactionLog.RewriterFailed(_logger, exception.GetType().FullName ?? exception.GetType().Name, key);
                result = null;
                return false;
            }
        }

        return true;
    }

    private bool KeyMatches(string key)
    {
        if (!_hasKeyRules)
        {
            return false;
        }

        if (_keyCache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        // Plain entries also see the key's normalised spelling (apiKey, api-key, Api Key → api_key); regexes see it as written.
        var matches = (_plainKeys is { } plain && KeySpelling.IsMatch(plain, key, keepDots: false)) || AnyMatch(_keyPatterns, key);
        if (key.Length <= MaxCachedKeyLength && Volatile.Read(ref _cachedKeys) < MaxCachedKeys && _keyCache.TryAdd(key, matches))
        {
            Interlocked.Increment(ref _cachedKeys);
        }

        return matches;
    }

    private bool PathMatches(string path) =>
        (_plainPaths is { } plain && KeySpelling.IsMatch(plain, path, keepDots: true)) || AnyMatch(_pathPatterns, path);

    private static void AddOnce(List<string> list, string text)
    {
        if (!list.Contains(text, StringComparer.OrdinalIgnoreCase))
        {
            list.Add(text);
        }
    }

    private static bool AnyMatch(Regex[] patterns, string input)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.IsMatch(input))
            {
                return true;
            }
        }

        return false;
    }

    private static Regex? Combine(List<string> texts) =>
        texts.Count == 0 ? null : new Regex(string.Join('|', texts.Select(Regex.Escape)), PlainOptions);
}

namespace ActivityLog;

/// <summary>
/// The ambient actor, account and context for the current async flow, so that code deep inside a request can
/// record activities without passing them along. Hosts (or the ASP.NET Core package's middleware) open one per request.
/// </summary>
/// <example>
/// <code>
/// using (ActivityScope.Begin(ActivityActor.User(42, "John Doe"), accountId: "acme"))
/// {
///     recorder.Record("activity_log.domain.added", new ActivityResource("domain", "7", "example.com"));
/// }
/// </code>
/// </example>
/// <remarks>Scopes nest: an inner scope inherits whatever it leaves unset from the outer one. Backed by <see cref="AsyncLocal{T}"/>.</remarks>
public sealed class ActivityScope : IDisposable
{
    private static readonly AsyncLocal<ActivityScope?> CurrentScope = new();

    private readonly ActivityScope? _parent;

    // The context is this scope's own (merged with the parent's when the scope opened), or built at its first use
    // (_deferred), or, with neither, the parent's, asked for when needed so that a deferred one stays deferred.
    private readonly ActivityRequestContext? _context;
    private readonly DeferredRequestContext? _deferred;
    private ActivityRequestContext? _deferredMerged;
    private bool _disposed;

    private ActivityScope(
        ActivityScope? parent, ActivityActor? actor, string? accountId, ActivityRequestContext? context, IActivityLogEventCollector? collector,
        DeferredRequestContext? deferred = null)
    {
        _parent = parent;
        Actor = actor ?? parent?.Actor;
        AccountId = accountId ?? parent?.AccountId;
        _context = context?.MergeWith(parent?.Context);
        _deferred = deferred;
        Collector = collector ?? parent?.Collector;
    }

    /// <summary>The innermost scope of the current async flow, or <see langword="null"/>.</summary>
    public static ActivityScope? Current => CurrentScope.Value;

    /// <summary>The ambient actor, or <see langword="null"/> when no scope set one.</summary>
    public ActivityActor? Actor { get; }

    /// <summary>The ambient account, or <see langword="null"/>.</summary>
    public string? AccountId { get; }

    /// <summary>The ambient request context, or <see langword="null"/>.</summary>
    public ActivityRequestContext? Context => _context ?? (_deferred is null ? _parent?.Context : _deferredMerged ?? MergeDeferred());

    /// <summary>
    /// Where <c>Record</c> sends events while this scope is current instead of the queue, or <see langword="null"/>
    /// for the queue. Set by a store's unit of work (the EF Core package's transactional recording).
    /// </summary>
    internal IActivityLogEventCollector? Collector { get; }

    /// <summary>Opens a scope for the current async flow; dispose it to restore the previous one.</summary>
    /// <param name="actor">The actor, or <see langword="null"/> to inherit.</param>
    /// <param name="accountId">The account, or <see langword="null"/> to inherit.</param>
    /// <param name="context">The context; its empty values are inherited.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="ArgumentException">A value breaks the rules <c>Record</c> applies (<see cref="ActivityLimits"/>, text no store can hold).</exception>
    public static ActivityScope Begin(ActivityActor? actor = null, string? accountId = null, ActivityRequestContext? context = null)
    {
        ActivityEntryValidator.ValidateAmbient(actor, accountId, context);
        var scope = new ActivityScope(CurrentScope.Value, actor, accountId, context, collector: null);
        CurrentScope.Value = scope;
        return scope;
    }

    /// <summary>
    /// Opens a scope from values that already meet the rules <see cref="Begin"/> checks (cut to <see cref="ActivityLimits"/>
    /// and repaired, as the ASP.NET Core package's request reader produces them), without checking them again (the
    /// middleware opens one per request, and the checks were a tenth of its cost), with a context built at its first use
    /// (see <see cref="DeferredRequestContext"/>); the caller seals <paramref name="context"/> when its source goes away.
    /// </summary>
    internal static ActivityScope BeginTrusted(ActivityActor actor, string? accountId, DeferredRequestContext context)
    {
        var scope = new ActivityScope(CurrentScope.Value, actor, accountId, context: null, collector: null, context);
        CurrentScope.Value = scope;
        return scope;
    }

    private ActivityRequestContext MergeDeferred()
    {
        var built = _deferred!.Resolve();
        var merged = _parent?.Context is { } inherited ? built.MergeWith(inherited) : built;
        // Racing readers may both merge; either result is the same values, and one of them is kept.
        return Interlocked.CompareExchange(ref _deferredMerged, merged, null) ?? merged;
    }

    /// <summary>
    /// Opens a scope in which <c>Record</c> hands events to <paramref name="collector"/> instead of the queue, for
    /// example to store them in the same database transaction as the business change. Actor, account and context
    /// are inherited. Nested scopes keep the collector until this scope is disposed.
    /// </summary>
    /// <param name="collector">Receives every event recorded in this scope, validated and stamped, not yet processed.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="collector"/> is <see langword="null"/>.</exception>
    internal static ActivityScope BeginCollecting(IActivityLogEventCollector collector)
    {
        ArgumentNullException.ThrowIfNull(collector);
        var scope = new ActivityScope(CurrentScope.Value, actor: null, accountId: null, context: null, collector);
        CurrentScope.Value = scope;
        return scope;
    }

    /// <summary>Restores the scope that was current when this one began.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (ReferenceEquals(CurrentScope.Value, this))
        {
            CurrentScope.Value = _parent;
        }
    }
}

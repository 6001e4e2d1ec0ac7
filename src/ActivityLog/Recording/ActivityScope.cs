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
    private bool _disposed;

    private ActivityScope(ActivityScope? parent, ActivityActor? actor, string? accountId, ActivityContext? context)
    {
        _parent = parent;
        Actor = actor ?? parent?.Actor;
        AccountId = accountId ?? parent?.AccountId;
        Context = context?.MergeWith(parent?.Context) ?? parent?.Context;
    }

    /// <summary>The innermost scope of the current async flow, or <see langword="null"/>.</summary>
    public static ActivityScope? Current => CurrentScope.Value;

    /// <summary>The ambient actor, or <see langword="null"/> when no scope set one.</summary>
    public ActivityActor? Actor { get; }

    /// <summary>The ambient account, or <see langword="null"/>.</summary>
    public string? AccountId { get; }

    /// <summary>The ambient request context, or <see langword="null"/>.</summary>
    public ActivityContext? Context { get; }

    /// <summary>Opens a scope for the current async flow; dispose it to restore the previous one.</summary>
    /// <param name="actor">The actor, or <see langword="null"/> to inherit.</param>
    /// <param name="accountId">The account, or <see langword="null"/> to inherit.</param>
    /// <param name="context">The context; its empty values are inherited.</param>
    /// <returns>The scope.</returns>
    public static ActivityScope Begin(ActivityActor? actor = null, string? accountId = null, ActivityContext? context = null)
    {
        var scope = new ActivityScope(CurrentScope.Value, actor, accountId, context);
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

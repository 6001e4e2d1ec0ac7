namespace ActivityLog;

/// <summary>
/// A request context read at its first use rather than when the scope opens: the ASP.NET Core middleware opens a scope
/// per request, and most requests record nothing.
/// </summary>
/// <remarks>
/// <para>
/// Why: a queued event keeps its context (and the strings in it) alive until the pipeline has written it. Built when the
/// request starts, the context sits among the request's dead objects, and the gen0 collection that finds it queued
/// compacts around one more run of survivors per event. Built at the first <c>Record</c>, it lies next to the event:
/// measured over 10,000 queued requests, before and after, 882 and 653 ns of collection pause per request against 595
/// and 440 ns (docs/benchmarks.md, issue 15).
/// </para>
/// <para>
/// The owner must call <see cref="Seal"/> before the source of the values goes away (the request ends and its
/// <c>HttpContext</c> is pooled for the next one): it builds the context if nobody did, so that work the request left
/// running (a flowed execution context) still records this request's context, and drops the source. A build that
/// raced with the seal and read a recycled source loses the exchange and is discarded.
/// </para>
/// </remarks>
internal abstract class DeferredRequestContext
{
    private ActivityRequestContext? _built;

    /// <summary>The context, built once; values already cut to <see cref="ActivityLimits"/> and repaired (trusted).</summary>
    public ActivityRequestContext Resolve() => Volatile.Read(ref _built) ?? ResolveSlow();

    /// <summary>Builds the context now if nobody did, then lets go of what it was built from.</summary>
    public void Seal()
    {
        Resolve();
        Release();
    }

    /// <summary>Reads the context from its source. Called at most until <see cref="Seal"/> returns.</summary>
    protected abstract ActivityRequestContext Build();

    /// <summary>Drops the references to the source; <see cref="Build"/> is not called afterwards.</summary>
    protected abstract void Release();

    private ActivityRequestContext ResolveSlow()
    {
        ActivityRequestContext made;
        try
        {
            made = Build();
        }
        catch when (Volatile.Read(ref _built) is not null)
        {
            // The seal won while this build read a source already handed back: its context is the request's.
            return _built!;
        }

        return Interlocked.CompareExchange(ref _built, made, null) ?? made;
    }
}

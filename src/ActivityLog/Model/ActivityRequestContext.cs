namespace ActivityLog;

/// <summary>Where an activity came from: client address, user agent, how the actor authenticated, and a correlation id.</summary>
/// <remarks>All values are redacted by the pipeline like <c>changes</c> before a sink sees them.</remarks>
public sealed record ActivityRequestContext
{
    /// <summary>The client's IP address, for example <c>203.0.113.7</c>.</summary>
    public string? IpAddress { get; init; }

    /// <summary>The client's user agent.</summary>
    public string? UserAgent { get; init; }

    /// <summary>How the actor authenticated, for example <c>GitHub</c> or <c>password</c>.</summary>
    public string? AuthMethod { get; init; }

    /// <summary>
    /// An id that ties the activity to a request or trace. When not set, the pipeline fills it with the W3C trace id
    /// of the <see cref="System.Diagnostics.Activity"/> that was current when the activity was recorded.
    /// </summary>
    public string? CorrelationId { get; init; }

    /// <summary>Returns a copy in which every value this one leaves empty is taken from <paramref name="fallback"/>.</summary>
    /// <param name="fallback">The context to fill gaps from, or <see langword="null"/>.</param>
    /// <returns>The merged context.</returns>
    public ActivityRequestContext MergeWith(ActivityRequestContext? fallback) => fallback is null ? this : new ActivityRequestContext
    {
        IpAddress = IpAddress ?? fallback.IpAddress,
        UserAgent = UserAgent ?? fallback.UserAgent,
        AuthMethod = AuthMethod ?? fallback.AuthMethod,
        CorrelationId = CorrelationId ?? fallback.CorrelationId,
    };
}

using System.Collections.Concurrent;
using ActivityLog.Internal;
using ActivityLog.Redaction;
using Microsoft.Extensions.Logging;

namespace ActivityLog.Values;

/// <summary>
/// Counts the plain objects written as the mask whole because their members cannot be inspected, on the
/// <c>activitylog.values.masked_whole</c> metric, and logs a warning the first time each type is masked. Thread-safe.
/// </summary>
internal sealed class MaskedWholeValues(ILogger logger, ActivityLogMetrics? metrics)
{
    private readonly ConcurrentDictionary<Type, bool> _logged = new();

    /// <summary>A value of <paramref name="type"/> was masked whole.</summary>
    public void Masked(Type type)
    {
        metrics?.MaskedWhole();
        if (_logged.TryAdd(type, true))
        {
            // The type's name only: never the value.
            RedactionLog.MaskedWhole(logger, type.FullName ?? type.Name);
        }
    }
}

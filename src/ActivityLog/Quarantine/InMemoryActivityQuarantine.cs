using ActivityLog.Extensibility;
using ActivityLog.Internal;
using ActivityLog.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ActivityLog.Quarantine;

/// <summary>
/// The default quarantine: the most recent entries in memory, bounded by <see cref="ActivityLogOptions.QuarantineCapacity"/>.
/// An entry pushed out by a newer one is counted as dropped (<c>quarantine_full</c>) and logged, so nothing leaves
/// without a count.
/// </summary>
internal sealed class InMemoryActivityQuarantine(IOptions<ActivityLogOptions> options, ActivityQueue losses, ILogger<InMemoryActivityQuarantine>? logger = null)
    : IActivityQuarantine
{
    private readonly Lock _gate = new();
    private readonly Queue<ActivityQuarantineEntry> _entries = new();
    private readonly int _capacity = options.Value.QuarantineCapacity;

    public ValueTask AddAsync(ActivityQuarantineEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ActivityQuarantineEntry? evicted = null;
        lock (_gate)
        {
            _entries.Enqueue(entry);
            if (_entries.Count > _capacity)
            {
                evicted = _entries.Dequeue();
            }
        }

        if (evicted is not null)
        {
            losses.CountDropped(1, DropReasons.QuarantineFull, evicted.Sink);
            Log.QuarantineFull(logger ?? NullLogger<InMemoryActivityQuarantine>.Instance, evicted.Event.Id, evicted.Sink, _capacity);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<ActivityQuarantineEntry>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<ActivityQuarantineEntry>>([.. _entries.Take(limit)]);
        }
    }
}

using ActivityLog.Formatting;
using ActivityLog.Internal;
using ActivityLog.Redaction;
using ActivityLog.Values;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.Pipeline;

/// <summary>Gate, then id, then correlation, then normalize and redact, then describe: one ordered pass per event.</summary>
internal sealed class ActivityLogEventProcessor(
    IActivityLogGate gate,
    SensitiveFieldRedactor redactor,
    ActivityDescriptionFormatter formatter,
    ActivityIdGenerator ids,
    ActivityValueNormalizer normalizer,
    ActivityLogMetrics metrics,
    ActivityQueue losses,
    IOptions<ActivityLogOptions> options,
    ILogger<ActivityLogEventProcessor> logger) : IActivityLogEventProcessor
{
    private readonly bool _requireAccount = (options.Value.MissingAccount ?? ActivityMissingAccountMode.Allow) != ActivityMissingAccountMode.Allow;

    public async ValueTask ProcessAsync(IList<ActivityLogEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (_requireAccount)
        {
            DropWithoutAccount(events);
        }

        await ApplyGateAsync(events, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < events.Count; i++)
        {
            try
            {
                Process(events[i]);
            }
#pragma warning disable CA1031 // One event that cannot be processed must not cost its batch: it alone is counted and logged.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.EventProcessingFailed(logger, exception, events[i].Id, events[i].Name);
                losses.CountDropped(1, DropReasons.PipelineFailed);
                events.RemoveAt(i);
                i--;
            }
        }

        metrics.Processed(events.Count);
    }

    /// <summary>The synchronous steps for one event; public to the benchmarks.</summary>
    internal void Process(ActivityLogEvent activityEvent)
    {
        if (activityEvent.Id == Guid.Empty)
        {
            activityEvent.SetId(ids.Next(activityEvent.Timestamp));
        }

        if (activityEvent.Trace is { } trace && activityEvent.Context?.CorrelationId is null)
        {
            activityEvent.SetContext((activityEvent.Context ?? new ActivityRequestContext()) with { CorrelationId = trace.TraceId.ToHexString() });
        }

        string? resourceType = activityEvent.Resource?.Type;
        try
        {
            var changes = activityEvent.Changes;
            var metadata = activityEvent.Metadata;
            if (!activityEvent.HasSnapshotValues)
            {
                // Not from Record (captured entity changes): copy, bound and repair by the documented rule, never refuse.
                (changes, metadata, int repaired) = normalizer.Repair(changes, metadata);
                if (repaired > 0)
                {
                    metrics.Repaired(repaired);
                    Log.ValuesRepaired(logger, activityEvent.Name, repaired);
                }
            }

            activityEvent.SetChanges(redactor.RedactChanges(changes, resourceType));
            activityEvent.SetContext(redactor.RedactContext(activityEvent.Context, resourceType));
            activityEvent.SetMetadata(redactor.RedactMetadata(metadata, resourceType));
        }
#pragma warning disable CA1031 // A value that cannot be redacted must not reach a sink; the event itself is kept.
        catch (Exception)
#pragma warning restore CA1031
        {
            // The exception may quote a secret, so it is not logged; everything that could hold one is masked.
            Log.RedactionFailed(logger, activityEvent.Name);
            MaskEverything(activityEvent);
        }

        activityEvent.SetDescription(formatter.Describe(activityEvent));
    }

    /// <summary>
    /// A multi-account host never stores an event that belongs to no account's log: such events are counted
    /// (<c>missing_account</c>) and logged here, where every path meets (the queue, the transactional save, captured changes).
    /// </summary>
    private void DropWithoutAccount(IList<ActivityLogEvent> events)
    {
        int removed = 0;
        ActivityLogEvent? example = null;
        for (int i = events.Count - 1; i >= 0; i--)
        {
            if (events[i].AccountId is null)
            {
                example = events[i];
                events.RemoveAt(i);
                removed++;
            }
        }

        if (example is not null)
        {
            losses.CountDropped(removed, DropReasons.MissingAccount);
            Log.MissingAccountDropped(logger, removed, example.Name, example.Actor.Type);
        }
    }

    private async ValueTask ApplyGateAsync(IList<ActivityLogEvent> events, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(gate, ActivityLogGates.AllowAll))
        {
            return;
        }

        // One lookup per account per batch: a disabled account costs a dictionary hit per event.
        var decisions = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool? withoutAccount = null;
        int removed = 0;
        for (int i = events.Count - 1; i >= 0; i--)
        {
            string? account = events[i].AccountId;
            bool enabled;
            if (account is null)
            {
                withoutAccount ??= await IsEnabledAsync(null, events, cancellationToken).ConfigureAwait(false);
                enabled = withoutAccount.Value;
            }
            else if (!decisions.TryGetValue(account, out enabled))
            {
                enabled = await IsEnabledAsync(account, events, cancellationToken).ConfigureAwait(false);
                decisions[account] = enabled;
            }

            if (!enabled)
            {
                events.RemoveAt(i);
                removed++;
            }
        }

        if (removed > 0)
        {
            metrics.Gated(removed);
        }
    }

    private async ValueTask<bool> IsEnabledAsync(string? account, IList<ActivityLogEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            return await gate.IsEnabledAsync(account, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.GateFailed(logger, exception, events.Count(e => e.AccountId == account));
            return true;
        }
    }

    private void MaskEverything(ActivityLogEvent activityEvent)
    {
        string mask = redactor.Mask;
        activityEvent.SetChanges(activityEvent.Changes.Select(c => new ActivityChange(c.Field, mask, mask)).ToArray());
        activityEvent.SetContext(activityEvent.Context is null ? null : new ActivityRequestContext
        {
            IpAddress = mask,
            UserAgent = mask,
            AuthMethod = mask,
            CorrelationId = activityEvent.Context.CorrelationId,
        });
        activityEvent.SetMetadata(activityEvent.Metadata?.ToDictionary(p => p.Key, _ => (object?)mask, StringComparer.Ordinal));
    }
}

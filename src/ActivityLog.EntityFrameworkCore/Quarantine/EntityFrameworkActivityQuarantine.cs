using ActivityLog.EntityFrameworkCore.Reading;
using ActivityLog.EntityFrameworkCore.Schema;
using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Quarantine;

/// <summary>
/// <see cref="IActivityQuarantine"/> over the quarantine table of the host's <typeparamref name="TContext"/>: rejected
/// events survive restarts and can be listed by any instance. Each call opens a context of its own (as the reader does).
/// </summary>
/// <remarks>
/// <para>
/// Failures propagate: when the database is down, the dispatcher counts the event as dropped (<c>quarantine_failed</c>)
/// and logs it. An add is idempotent on the event id and the sink: a retried add (whose first commit succeeded but whose
/// reply was lost, or a second instance racing on the same row) finds the row and changes nothing.
/// </para>
/// <para>
/// The event is kept as the core's JSON in a plain text column, escaped so that no NUL or lone surrogate reaches the
/// column (see <see cref="QuarantineJson"/>): the event is here because the database refused one of its values, so
/// the quarantine must hold what the events table could not.
/// </para>
/// </remarks>
/// <typeparam name="TContext">The host's context; its model maps the quarantine table (<c>modelBuilder.AddActivityLog()</c>).</typeparam>
internal sealed class EntityFrameworkActivityQuarantine<TContext>(
    IServiceScopeFactory scopes,
    ActivityLogSchemaInitializer<TContext> schema,
    ILogger<EntityFrameworkActivityQuarantine<TContext>> logger) : IActivityQuarantine
    where TContext : DbContext
{
    public async ValueTask AddAsync(ActivityQuarantineEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var row = ToRow(entry, out bool repaired);
        if (repaired)
        {
            QuarantineLog.Repaired(logger, row.EventId, row.Sink);
        }

        await schema.WhenReadyAsync(cancellationToken).ConfigureAwait(false);
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var context = Mapped(lease.Context);
            bool added = await context.Database.CreateExecutionStrategy().ExecuteAsync(
                row,
                static (ctx, state, ct) => AddMissingAsync(ctx, state, ct),
                verifySucceeded: null,
                cancellationToken).ConfigureAwait(false);
            if (!added)
            {
                QuarantineLog.AlreadyQuarantined(logger, row.EventId, row.Sink);
            }
        }
    }

    public async ValueTask<IReadOnlyList<ActivityQuarantineEntry>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var rows = await Mapped(lease.Context).Set<QuarantineRow>().AsNoTracking()
                .OrderBy(r => r.QuarantinedAt).ThenBy(r => r.Id)
                .Take(limit)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            var entries = new ActivityQuarantineEntry[rows.Count];
            for (int i = 0; i < rows.Count; i++)
            {
                var row = rows[i];
                entries[i] = new ActivityQuarantineEntry(
                    QuarantineJson.Deserialize(row),
                    row.Sink,
                    row.Reason,
                    new DateTimeOffset(DateTime.SpecifyKind(row.QuarantinedAt, DateTimeKind.Utc)));
            }

            return entries;
        }
    }

    internal static QuarantineRow ToRow(ActivityQuarantineEntry entry, out bool repaired)
    {
        var activityEvent = entry.Event;
        string json = QuarantineJson.Serialize(activityEvent, out repaired);
        var at = entry.QuarantinedAt.UtcDateTime;
        return new QuarantineRow
        {
            Id = Guid.CreateVersion7(entry.QuarantinedAt),
            EventId = activityEvent.Id,
            EventName = QuarantineJson.Storable(activityEvent.Name, ActivityLimits.MaxEventNameLength),
            AccountId = activityEvent.AccountId is { } account ? QuarantineJson.Storable(account, ActivityLimits.MaxIdLength) : null,
            Sink = QuarantineJson.Storable(entry.Sink, QuarantineRow.MaxSinkLength),
            Reason = QuarantineJson.Storable(entry.Reason, QuarantineRow.MaxReasonLength),
            OccurredAt = TruncateToMicroseconds(activityEvent.Timestamp.UtcDateTime),
            QuarantinedAt = TruncateToMicroseconds(at),
            EventJson = json,
        };
    }

    /// <summary>Adds the row unless the event is quarantined for this sink already.</summary>
    /// <returns>Whether the row was added.</returns>
    private static async Task<bool> AddMissingAsync(DbContext context, QuarantineRow row, CancellationToken cancellationToken)
    {
        // The execution strategy may run this again: start from an empty change tracker every time.
        context.ChangeTracker.Clear();
        var set = context.Set<QuarantineRow>();
        if (await ExistsAsync(set, row, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        set.Add(row);
        try
        {
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DbUpdateException)
        {
            // Another add of the same event and sink (another instance, a concurrent retry) may have won the unique
            // index between the check and the insert: then the entry is kept, which is all this add promised.
            context.ChangeTracker.Clear();
            if (await ExistsAsync(set, row, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            throw;
        }
        finally
        {
            context.ChangeTracker.Clear();
        }
    }

    private static Task<bool> ExistsAsync(DbSet<QuarantineRow> set, QuarantineRow row, CancellationToken cancellationToken)
    {
        Guid eventId = row.EventId;
        string sink = row.Sink;
        return set.AnyAsync(r => r.EventId == eventId && r.Sink == sink, cancellationToken);
    }

    private static DbContext Mapped(DbContext context) => context.Model.FindEntityType(typeof(QuarantineRow)) is not null
        ? context
        : throw new InvalidOperationException(
            $"The model of {context.GetType().Name} has no quarantine table: call modelBuilder.AddActivityLog() in its OnModelCreating (it maps it) and add a migration.");

    private static DateTime TruncateToMicroseconds(DateTime utc) => new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMicrosecond), DateTimeKind.Utc);
}

using System.Runtime.CompilerServices;
using ActivityLog.EntityFrameworkCore.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Reading;

/// <summary>
/// <see cref="IActivityLogReader"/> over the host's <typeparamref name="TContext"/>: one context (from a fresh DI scope)
/// per page, no tracking, keyset pagination on the model's <c>(account_id, occurred_at DESC, id DESC)</c> indexes (read
/// backwards for <see cref="ActivityLogOrder.OldestFirst"/>), search through the database's full-text index.
/// </summary>
/// <remarks>
/// <para>
/// The per-page cost above the SQL itself is mostly the context: a context registered with <c>AddDbContext</c> sets up
/// EF Core's services on every page (measured at about 60–200 µs on the benchmark machine); with <c>AddDbContextPool</c>
/// or <c>AddPooledDbContextFactory</c> the lease takes a pooled one. Compiled queries were measured too and saved less
/// than the noise (the query cache already holds one plan per filter shape), so the query stays plain LINQ.
/// </para>
/// <para>
/// PostgreSQL chooses the plan by cost: for an account holding a large share of the table it may walk
/// <c>ix_&lt;table&gt;_occurred_at</c> backwards and filter by account (with an incremental sort on id) instead of the
/// account's own index. That is fast while the account's newest events are near the table's newest, and slow when a
/// large account's events are all old; see ReaderBenchmarks and the store's README.
/// </para>
/// </remarks>
/// <typeparam name="TContext">The host's context, whose model holds the activity log table.</typeparam>
internal sealed partial class EntityFrameworkActivityLogReader<TContext>(IServiceScopeFactory scopes, IOptions<ActivityLogStoreOptions> options)
    : IActivityLogReader
    where TContext : DbContext
{
    public async Task<ActivityLogPage> ReadPageAsync(ActivityLogQuery query, CancellationToken cancellationToken = default)
    {
        var plan = ActivityLogReadPlan.Create(query, options.Value);
        int pageSize = plan.PageSize;
        List<StoredActivityLogEvent> rows;
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var index = await SearchIndexAsync(plan, lease, cancellationToken).ConfigureAwait(false);
            // One row more than the page tells whether an older page exists, without a COUNT.
            rows = await plan.Build(lease.Context, plan.Start, index).Take(pageSize + 1).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        int count = Math.Min(rows.Count, pageSize);
        var events = new ActivityLogEvent[count];
        for (int i = 0; i < count; i++)
        {
            events[i] = rows[i].ToActivityLogEvent();
        }

        string? next = rows.Count > pageSize ? ActivityLogCursor.Encode(PositionOf(rows[pageSize - 1]), plan.Order) : null;
        return new ActivityLogPage(events, next);
    }

    public IAsyncEnumerable<ActivityLogEvent> ReadAllAsync(ActivityLogQuery query, CancellationToken cancellationToken = default)
    {
        // Validated here, so that a bad query throws at the call rather than at the first MoveNextAsync.
        var plan = ActivityLogReadPlan.Create(query, options.Value);
        return ReadAllCoreAsync(plan, options.Value.MaxPageSize, cancellationToken);
    }

    private async IAsyncEnumerable<ActivityLogEvent> ReadAllCoreAsync(
        ActivityLogReadPlan plan, int batchSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = plan.Start;
        while (true)
        {
            List<StoredActivityLogEvent> rows;
            var lease = ActivityLogContextLease<TContext>.Open(scopes);
            await using (lease.ConfigureAwait(false))
            {
                var index = await SearchIndexAsync(plan, lease, cancellationToken).ConfigureAwait(false);
                rows = await plan.Build(lease.Context, after, index).Take(batchSize).ToListAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var row in rows)
            {
                yield return row.ToActivityLogEvent();
            }

            if (rows.Count < batchSize)
            {
                yield break;
            }

            after = PositionOf(rows[^1]);
        }
    }

    private static ValueTask<SearchIndexKind> SearchIndexAsync(ActivityLogReadPlan plan, ActivityLogContextLease<TContext> lease, CancellationToken cancellationToken) =>
        plan.Search is { Words.Count: > 0 }
            ? lease.Services.GetRequiredService<ActivityLogSearchIndex>().FindAsync(lease.Context, cancellationToken)
            : ValueTask.FromResult(SearchIndexKind.None);

    // SQLite reads times back as unspecified-kind DateTime; the stored value is UTC either way.
    private static KeysetPosition PositionOf(StoredActivityLogEvent row) =>
        new(DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Utc), row.Id);
}

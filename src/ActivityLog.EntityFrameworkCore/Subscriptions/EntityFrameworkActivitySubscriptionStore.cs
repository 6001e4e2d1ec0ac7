using ActivityLog.EntityFrameworkCore.Outbox;
using ActivityLog.EntityFrameworkCore.Reading;
using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.EntityFrameworkCore.Subscriptions;

/// <summary>
/// <see cref="IActivitySubscriptionStore"/> over the subscription and delivery-attempt tables of the host's
/// <typeparamref name="TContext"/>: each call opens a context of its own (as the outbox does) and runs inside the
/// provider's execution strategy.
/// </summary>
/// <remarks>
/// Every read but <see cref="ListChangedSinceAsync"/> filters by account in the query itself, so another account's id
/// finds nothing. <see cref="UpdateAsync"/> is one conditional <c>UPDATE</c> on id, account and version: optimistic
/// concurrency without a transaction or a read first. Thread-safe.
/// </remarks>
/// <typeparam name="TContext">The host's context; its model maps the tables (<c>modelBuilder.AddActivityLog()</c> with deliveries configured).</typeparam>
internal sealed class EntityFrameworkActivitySubscriptionStore<TContext>(IServiceScopeFactory scopes) : IActivitySubscriptionStore
    where TContext : DbContext
{
    public Task<IReadOnlyList<ActivitySubscription>> ListAsync(string accountId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        return ExecuteAsync(
            accountId,
            static async (ctx, account, ct) =>
            {
                var rows = await ctx.Set<SubscriptionRow>().AsNoTracking()
                    .Where(r => r.AccountId == account && r.DeletedAt == null)
                    .OrderBy(r => r.CreatedAt).ThenBy(r => r.Id)
                    .ToListAsync(ct).ConfigureAwait(false);
                return (IReadOnlyList<ActivitySubscription>)[.. rows.Select(SubscriptionMapping.ToSubscription)];
            },
            cancellationToken);
    }

    public Task<ActivitySubscription?> FindAsync(string accountId, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        return ExecuteAsync(
            (accountId, id),
            static async (ctx, key, ct) =>
            {
                var row = await ctx.Set<SubscriptionRow>().AsNoTracking()
                    .Where(r => r.Id == key.id && r.AccountId == key.accountId && r.DeletedAt == null)
                    .FirstOrDefaultAsync(ct).ConfigureAwait(false);
                return row is null ? null : SubscriptionMapping.ToSubscription(row);
            },
            cancellationToken);
    }

    public Task AddAsync(ActivitySubscription subscription, CancellationToken cancellationToken = default)
    {
        var row = SubscriptionMapping.ToRow(subscription);
        if (subscription.Version != 1)
        {
            throw new ArgumentException("ActivitySubscription.Version of a new subscription is 1.", nameof(subscription));
        }

        return ExecuteAsync(
            row,
            static async (ctx, r, ct) =>
            {
                ctx.ChangeTracker.Clear(); // a retried strategy run starts from nothing
                ctx.Set<SubscriptionRow>().Add(r);
                await ctx.SaveChangesAsync(ct).ConfigureAwait(false);
                ctx.ChangeTracker.Clear();
                return true;
            },
            cancellationToken);
    }

    public async Task<bool> UpdateAsync(ActivitySubscription subscription, long expectedVersion, CancellationToken cancellationToken = default)
    {
        var row = SubscriptionMapping.ToRow(subscription);
        if (subscription.Version <= expectedVersion)
        {
            throw new ArgumentException("ActivitySubscription.Version must be greater than the expected version (each change grows it).", nameof(subscription));
        }

        int changed = await ExecuteAsync(
            (row, expectedVersion),
            static (ctx, state, ct) =>
            {
                var r = state.row;
                // The account is part of the condition: an id of another account's subscription changes nothing.
                return ctx.Set<SubscriptionRow>()
                    .Where(s => s.Id == r.Id && s.AccountId == r.AccountId && s.Version == state.expectedVersion)
                    .ExecuteUpdateAsync(
                        u => u.SetProperty(s => s.Kind, r.Kind)
                            .SetProperty(s => s.Description, r.Description)
                            .SetProperty(s => s.Url, r.Url)
                            .SetProperty(s => s.Format, r.Format)
                            .SetProperty(s => s.Events, r.Events)
                            .SetProperty(s => s.Enabled, r.Enabled)
                            .SetProperty(s => s.DisabledReason, r.DisabledReason)
                            .SetProperty(s => s.ProtectedSecrets, r.ProtectedSecrets)
                            .SetProperty(s => s.FailingSince, r.FailingSince)
                            .SetProperty(s => s.UpdatedAt, r.UpdatedAt)
                            .SetProperty(s => s.UpdatedBy, r.UpdatedBy)
                            .SetProperty(s => s.DeletedAt, r.DeletedAt)
                            .SetProperty(s => s.Version, r.Version),
                        ct);
            },
            cancellationToken).ConfigureAwait(false);
        return changed == 1;
    }

    public Task<IReadOnlyList<ActivitySubscription>> ListChangedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        DateTime from = since == DateTimeOffset.MinValue ? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc) : OutboxTime.Truncate(since);
        return ExecuteAsync(
            from,
            static async (ctx, f, ct) =>
            {
                var query = ctx.Set<SubscriptionRow>().AsNoTracking();
                if (f != DateTime.MinValue)
                {
                    query = query.Where(r => r.UpdatedAt >= f);
                }

                var rows = await query.ToListAsync(ct).ConfigureAwait(false);
                return (IReadOnlyList<ActivitySubscription>)[.. rows.Select(SubscriptionMapping.ToSubscription)];
            },
            cancellationToken);
    }

    public Task AddAttemptsAsync(IReadOnlyList<ActivityDeliveryAttempt> attempts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        if (attempts.Count == 0)
        {
            return Task.CompletedTask;
        }

        DeliveryAttemptRow[] rows = [.. attempts.Select(SubscriptionMapping.ToRow)];
        return ExecuteAsync(
            rows,
            static async (ctx, r, ct) =>
            {
                ctx.ChangeTracker.Clear();
                ctx.Set<DeliveryAttemptRow>().AddRange(r);
                await ctx.SaveChangesAsync(ct).ConfigureAwait(false);
                ctx.ChangeTracker.Clear();
                return true;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<ActivityDeliveryAttempt>> ListAttemptsAsync(string accountId, Guid subscriptionId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1_000);
        return ExecuteAsync(
            (accountId, subscriptionId, limit),
            static async (ctx, key, ct) =>
            {
                var rows = await ctx.Set<DeliveryAttemptRow>().AsNoTracking()
                    .Where(r => r.AccountId == key.accountId && r.SubscriptionId == key.subscriptionId)
                    .OrderByDescending(r => r.AttemptedAt).ThenByDescending(r => r.Id)
                    .Take(key.limit)
                    .ToListAsync(ct).ConfigureAwait(false);
                return (IReadOnlyList<ActivityDeliveryAttempt>)[.. rows.Select(SubscriptionMapping.ToAttempt)];
            },
            cancellationToken);
    }

    public Task<int> PurgeAsync(DateTimeOffset attemptsBefore, DateTimeOffset deletedBefore, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            (attempts: OutboxTime.Truncate(attemptsBefore), deleted: OutboxTime.Truncate(deletedBefore)),
            static async (ctx, before, ct) =>
            {
                int attempts = await ctx.Set<DeliveryAttemptRow>().Where(r => r.AttemptedAt < before.attempts).ExecuteDeleteAsync(ct).ConfigureAwait(false);
                int tombstones = await ctx.Set<SubscriptionRow>().Where(r => r.DeletedAt != null && r.DeletedAt < before.deleted).ExecuteDeleteAsync(ct).ConfigureAwait(false);
                return attempts + tombstones;
            },
            cancellationToken);

    /// <summary>Runs one operation on a context of its own, inside the provider's execution strategy.</summary>
    private async Task<TResult> ExecuteAsync<TState, TResult>(
        TState state, Func<DbContext, TState, CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken)
    {
        var lease = ActivityLogContextLease<TContext>.Open(scopes);
        await using (lease.ConfigureAwait(false))
        {
            var context = lease.Context;
            EnsureMapped(context);
            var strategy = context.Database.CreateExecutionStrategy();
            return await strategy.ExecuteAsync(state, operation, verifySucceeded: null, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void EnsureMapped(DbContext context)
    {
        if (!SubscriptionModel.IsMapped(context.Model))
        {
            throw new InvalidOperationException(
                $"Delivery subscriptions are kept in the database, but the model of {context.GetType().Name} has no subscription tables: " +
                "call modelBuilder.AddActivityLog() in its OnModelCreating (it maps them with the outbox tables when a delivery package such as " +
                "webhooks is added; a context built by hand or by an IDesignTimeDbContextFactory needs AddActivityLog(o => o.MapOutbox = true)) and add a migration.");
        }
    }
}

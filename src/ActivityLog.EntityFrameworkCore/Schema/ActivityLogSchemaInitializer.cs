using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Schema;

/// <summary>
/// Creates what is missing of the activity log schema — the database, the table, its indexes — when
/// <see cref="ActivityLogStoreOptions.CreateSchemaOnStart"/> is on, and tells writers when it is there.
/// </summary>
/// <remarks>
/// <para>
/// <c>EnsureCreated</c> does not fit: it creates nothing when the database holds any table, which is exactly the case
/// of a host database. Instead the SQL comes from EF Core itself — the migrations differ's operations for an empty
/// database, kept to our table's, rendered by the provider's migrations SQL generator — so it is the same DDL a
/// migration would run, and only the existence checks (two catalog queries) are provider-specific.
/// </para>
/// <para>
/// It never alters an existing table (new columns of a later version need a migration); it adds indexes of the model
/// that the table lacks, and on SQLite the FTS5 search table (with its triggers) when it is missing. The table and its indexes are created in one transaction (DDL is transactional on SQLite and
/// PostgreSQL). Two app instances starting together are fine: the one whose <c>CREATE</c> loses finds everything in
/// place and succeeds.
/// </para>
/// <para>
/// Thread-safe. The first caller of <see cref="WhenReadyAsync"/> starts the work and every caller awaits the same
/// attempt; a failed or canceled attempt is forgotten, so the next caller tries again.
/// </para>
/// </remarks>
/// <typeparam name="TContext">The context holding the activity log table.</typeparam>
internal sealed class ActivityLogSchemaInitializer<TContext>
    where TContext : DbContext
{
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task? _attempt;

    public ActivityLogSchemaInitializer(
        IServiceScopeFactory scopes,
        IOptions<ActivityLogStoreOptions> options,
        ILogger<ActivityLogSchemaInitializer<TContext>> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _scopes = scopes;
        _logger = logger;
        IsEnabled = options.Value.CreateSchemaOnStart;
    }

    /// <summary>Whether <see cref="ActivityLogStoreOptions.CreateSchemaOnStart"/> is on.</summary>
    public bool IsEnabled { get; }

    /// <summary>
    /// Completes once the schema exists: at once when schema creation is off or already done, else when the current
    /// attempt (started now if none runs) succeeds. Writers await this before their first write.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; when this caller started the attempt, it also cancels the attempt.</param>
    /// <returns>A task that faults with <see cref="InvalidOperationException"/> naming the table and provider when creation fails.</returns>
    public Task WhenReadyAsync(CancellationToken cancellationToken)
    {
        if (!IsEnabled)
        {
            return Task.CompletedTask;
        }

        // The common case once started: done, no lock.
        if (Volatile.Read(ref _attempt) is { IsCompletedSuccessfully: true } done)
        {
            return done;
        }

        Task attempt;
        lock (_lock)
        {
            if (_attempt is null || _attempt.IsFaulted || _attempt.IsCanceled)
            {
                // Task.Run: the attempt's synchronous start (resolving the context, building the model) runs outside the lock.
                Volatile.Write(ref _attempt, Task.Run(() => CreateAsync(cancellationToken), cancellationToken));
            }

            attempt = _attempt;
        }

        return attempt.IsCompletedSuccessfully ? attempt : attempt.WaitAsync(cancellationToken);
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            // AddDbContext / AddDbContextPool give a scoped context (the scope's to dispose); AddDbContextFactory alone
            // gives a factory, whose context is ours to dispose. Same order as the store sink.
            var services = scope.ServiceProvider;
            var context = services.GetService<TContext>();
            bool owned = context is null;
            if (context is null)
            {
                var factory = services.GetService<IDbContextFactory<TContext>>() ?? throw new InvalidOperationException(
                    $"{typeof(TContext).Name} is not registered: add it with services.AddDbContext<{typeof(TContext).Name}>(…) or AddDbContextFactory<{typeof(TContext).Name}>(…).");
                context = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await EnsureSchemaAsync(context, _logger, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (owned)
                {
                    await context.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Creates the database, the activity log table and its indexes, whichever are missing.</summary>
    /// <param name="context">A context whose model maps <see cref="StoredActivityLogEvent"/>.</param>
    /// <param name="logger">Where to say what was created.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns><see langword="true"/> when something was created.</returns>
    /// <exception cref="InvalidOperationException">The model has no activity log table, or creation failed (the message names the table and provider).</exception>
    /// <exception cref="NotSupportedException">The provider is neither SQLite nor PostgreSQL.</exception>
    internal static async Task<bool> EnsureSchemaAsync(DbContext context, ILogger logger, CancellationToken cancellationToken)
    {
        var entityType = context.Model.FindEntityType(typeof(StoredActivityLogEvent));
        string? table = entityType?.GetTableName();
        if (entityType is null || table is null)
        {
            throw new InvalidOperationException(
                $"{context.GetType().Name}'s model has no activity log table, so CreateSchemaOnStart has nothing to create: call modelBuilder.AddActivityLog() in its OnModelCreating.");
        }

        var target = new SchemaTarget(table, entityType.GetSchema(), context.Database.ProviderName ?? "an unknown provider");
        var catalog = SchemaCatalog.For(target.Provider) ?? throw new NotSupportedException(
            $"CreateSchemaOnStart knows how to look for the activity log table {target} on SQLite and PostgreSQL only, not on {target.Provider}. " +
            "Create it with a migration (dotnet ef migrations add) instead, and leave CreateSchemaOnStart off.");

        bool created;
        try
        {
            var strategy = context.Database.CreateExecutionStrategy();
            created = await strategy.ExecuteAsync(
                (context, target, catalog),
                static (_, state, ct) => CreateMissingAsync(state.context, state.target, state.catalog, ct),
                verifySucceeded: null,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException(
                $"ActivityLog could not create its table {target} on {target.Provider} ({context.GetType().Name}, CreateSchemaOnStart): {exception.Message}",
                exception);
        }

        if (created)
        {
            SchemaLog.Created(logger, target.ToString(), target.Provider);
        }
        else
        {
            SchemaLog.AlreadyThere(logger, target.ToString(), target.Provider);
        }

        return created;
    }

    private static async Task<bool> CreateMissingAsync(DbContext context, SchemaTarget target, SchemaCatalog catalog, CancellationToken cancellationToken)
    {
        var creator = context.GetService<IRelationalDatabaseCreator>();
        bool created = false;
        if (!await creator.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await creator.CreateAsync(cancellationToken).ConfigureAwait(false);
                created = true;
            }
            catch (DbException)
            {
                // Another instance may have created the database between our check and our CREATE DATABASE.
                if (!await creator.ExistsAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
            }
        }

        var model = context.GetService<IDesignTimeModel>().Model;
        var missing = await MissingOperationsAsync(context, model, target, catalog, cancellationToken).ConfigureAwait(false);
        if (missing.Count == 0)
        {
            return await EnsureSqliteSearchAsync(context, target, cancellationToken).ConfigureAwait(false) || created;
        }

        await EnsureExtensionAsync(context, model, cancellationToken).ConfigureAwait(false);
        var commands = context.GetService<IMigrationsSqlGenerator>().Generate(missing, model);
        try
        {
            await context.GetService<IMigrationCommandExecutor>().ExecuteNonQueryAsync(
                commands,
                context.GetService<IRelationalConnection>(),
                new MigrationExecutionState(),
                commitTransaction: true,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (DbException)
        {
            // Another instance may have created the same table or indexes first; then what we wanted is there.
            if ((await MissingOperationsAsync(context, model, target, catalog, cancellationToken).ConfigureAwait(false)).Count != 0)
            {
                throw;
            }
        }

        await EnsureSqliteSearchAsync(context, target, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// On PostgreSQL, creates the extension the search index needs (<c>btree_gin</c>) before the DDL that uses it. Raw SQL
    /// rather than the differ's <c>AlterDatabaseOperation</c>: that operation would also create the host's own extensions,
    /// enums and collations, which are the host's migrations' business. <c>IF NOT EXISTS</c> makes it safe to race.
    /// </summary>
    private static async Task EnsureExtensionAsync(DbContext context, IModel model, CancellationToken cancellationToken)
    {
        if (model.FindAnnotation("Npgsql:PostgresExtension:" + Search.SearchModel.Extension) is null)
        {
            return;
        }

        try
        {
            await context.Database.ExecuteSqlRawAsync("CREATE EXTENSION IF NOT EXISTS " + Search.SearchModel.Extension, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException)
        {
            // Two instances creating it at once: IF NOT EXISTS does not stop the loser's unique violation. Then it is there.
            var found = await context.Database.SqlQueryRaw<int>(
                "SELECT count(*)::int AS \"Value\" FROM pg_extension WHERE extname = {0}", Search.SearchModel.Extension)
                .SingleAsync(cancellationToken).ConfigureAwait(false);
            if (found == 0)
            {
                throw;
            }
        }
    }

    /// <summary>
    /// On SQLite, creates the search index (FTS5 table and triggers, <see cref="Search.ActivityLogSearchIndex.Fts5CreateSql"/>)
    /// when it is missing: raw SQL, since EF Core's model has no virtual tables. PostgreSQL's index is part of the model.
    /// </summary>
    private static async Task<bool> EnsureSqliteSearchAsync(DbContext context, SchemaTarget target, CancellationToken cancellationToken)
    {
        var entity = context.Model.FindEntityType(typeof(StoredActivityLogEvent));
        if (!SchemaCatalog.IsSqlite(target.Provider) || entity?.FindProperty(nameof(StoredActivityLogEvent.SearchText)) is not { } property ||
            property.GetColumnName(StoreObjectIdentifier.Table(target.Table, entity.GetSchema())) is not { } column)
        {
            return false;
        }

        var connection = context.Database.GetDbConnection();
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await Search.ActivityLogSearchIndex.Fts5ExistsAsync(connection, target.Table, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                foreach (string sql in Search.ActivityLogSearchIndex.Fts5CreateSql(context.GetService<ISqlGenerationHelper>(), target.Table, column))
                {
                    var command = connection.CreateCommand();
                    await using (command.ConfigureAwait(false))
                    {
                        command.Transaction = transaction;
                        command.CommandText = sql;
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (DbException)
        {
            // Another instance may have created it first; then what we wanted is there.
            if (!await Search.ActivityLogSearchIndex.Fts5ExistsAsync(connection, target.Table, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }

            return false;
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The operations that create our tables in an empty database (EnsureSchema, CreateTable, CreateIndex), minus
    /// what already exists: a missing table with its indexes, and the indexes an existing table lacks. Our tables are
    /// the activity log table and, when the model maps them, the outbox, subscription and quarantine tables next to it (same schema).
    /// </summary>
    private static async Task<List<MigrationOperation>> MissingOperationsAsync(
        DbContext context,
        IModel model,
        SchemaTarget target,
        SchemaCatalog catalog,
        CancellationToken cancellationToken)
    {
        var tables = new HashSet<string>(StringComparer.Ordinal) { target.Table };
        foreach (var type in new[]
        {
            typeof(Outbox.OutboxDeliveryRow), typeof(Outbox.OutboxBatchRow), typeof(Quarantine.QuarantineRow),
            typeof(Subscriptions.SubscriptionRow), typeof(Subscriptions.DeliveryAttemptRow),
        })
        {
            if (model.FindEntityType(type) is { } entity && entity.GetTableName() is { } name && entity.GetSchema() == target.Schema)
            {
                tables.Add(name);
            }
        }

        var ours = context.GetService<IMigrationsModelDiffer>()
            .GetDifferences(source: null, model.GetRelationalModel())
            .Where(operation => operation switch
            {
                EnsureSchemaOperation schema => schema.Name == target.Schema,
                CreateTableOperation table => tables.Contains(table.Name) && table.Schema == target.Schema,
                CreateIndexOperation index => tables.Contains(index.Table) && index.Schema == target.Schema,
                _ => false,
            })
            .ToList();

        var connection = context.Database.GetDbConnection();
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var missingTables = new HashSet<string>(StringComparer.Ordinal);
            foreach (var table in tables)
            {
                if (!await catalog.TableExistsAsync(connection, table, target.Schema, cancellationToken).ConfigureAwait(false))
                {
                    missingTables.Add(table);
                }
            }

            var missing = new List<MigrationOperation>();
            foreach (var operation in ours)
            {
                bool add = operation switch
                {
                    EnsureSchemaOperation => missingTables.Count > 0,
                    CreateTableOperation table => missingTables.Contains(table.Name),
                    CreateIndexOperation index => missingTables.Contains(index.Table) ||
                        !await catalog.IndexExistsAsync(connection, index.Name, target.Schema, cancellationToken).ConfigureAwait(false),
                    _ => false,
                };
                if (add)
                {
                    missing.Add(operation);
                }
            }

            return missing;
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    private sealed record SchemaTarget(string Table, string? Schema, string Provider)
    {
        public override string ToString() => Schema is null ? $"\"{Table}\"" : $"\"{Schema}\".\"{Table}\"";
    }
}

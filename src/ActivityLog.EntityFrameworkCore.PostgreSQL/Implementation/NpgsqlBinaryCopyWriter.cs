using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ActivityLog.EntityFrameworkCore.PostgreSQL.Implementation;

/// <summary>
/// Writes a batch with binary <c>COPY</c> through the context's own <see cref="NpgsqlConnection"/>, idempotently.
/// </summary>
/// <remarks>
/// <para>
/// First straight into the activity log table: one <c>COPY</c> is one statement, so it stores the whole batch or, if
/// any of its ids is already there (a retried batch), nothing at all, failing with a unique violation. Only then does
/// the writer take the idempotent path: <c>COPY</c> into a temporary table dropped at commit, and
/// <c>INSERT … SELECT … ON CONFLICT (id) DO NOTHING</c> into the activity log table, in one transaction.
/// </para>
/// <para>
/// The staging table costs a catalog insert and delete per batch (measurable beside a 500-row COPY), so batches that
/// store for the first time, nearly all of them, skip it; a retry after a lost commit reply pays it once.
/// </para>
/// <para>
/// When the store writes outbox deliveries with the batch, it calls the writer inside a transaction it began, with only the
/// rows not yet stored: the writer then runs one direct <c>COPY</c> in that transaction and leaves the commit (with the
/// deliveries) to the store.
/// </para>
/// </remarks>
internal sealed partial class NpgsqlBinaryCopyWriter(ILogger<NpgsqlBinaryCopyWriter> logger) : IActivityBulkWriter
{
    public bool CanWrite(DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Database.IsNpgsql() && CopyPlan.For(context) is not null;
    }

    public async Task WriteAsync(DbContext context, IReadOnlyList<StoredActivityLogEvent> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rows);
        var plan = CopyPlan.For(context) ??
            throw new InvalidOperationException("The activity log mapping of this context cannot be written with COPY; check CanWrite first.");
        var database = context.Database;
        if (database.CurrentTransaction is not null)
        {
            // The store's own transaction (outbox deliveries go in with the rows): it checked which rows are new, so one
            // COPY is enough, and a unique violation fails that transaction as a whole, to be retried.
            await CopyAsync((NpgsqlConnection)database.GetDbConnection(), plan.DirectCopySql, plan, rows, cancellationToken).ConfigureAwait(false);
            return;
        }

        await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = (NpgsqlConnection)database.GetDbConnection();
            try
            {
                await CopyAsync(connection, plan.DirectCopySql, plan, rows, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Some of these ids are stored already, and the COPY stored none: take the idempotent path below.
            }

            await StageAndInsertAsync(database, connection, plan, rows, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    private async Task StageAndInsertAsync(
        Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade database,
        NpgsqlConnection connection,
        CopyPlan plan,
        IReadOnlyList<StoredActivityLogEvent> rows,
        CancellationToken cancellationToken)
    {
        var transaction = await database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            await database.ExecuteSqlRawAsync(plan.CreateStagingSql, cancellationToken).ConfigureAwait(false);
            await CopyAsync(connection, plan.StagingCopySql, plan, rows, cancellationToken).ConfigureAwait(false);
            int inserted = await database.ExecuteSqlRawAsync(plan.InsertSql, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (inserted < rows.Count)
            {
                LogSkipped(logger, rows.Count - inserted, rows.Count);
            }
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string copySql, CopyPlan plan, IReadOnlyList<StoredActivityLogEvent> rows, CancellationToken cancellationToken)
    {
        var importer = await connection.BeginBinaryImportAsync(copySql, cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            var columns = plan.Columns;
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < columns.Count; i++)
                {
                    await columns[i].Write(importer, row, cancellationToken).ConfigureAwait(false);
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(3201, LogLevel.Information, "ActivityLog store skipped {Skipped} of {Count} event(s) already stored: a retried batch whose earlier attempt had written them.", EventName = "SkippedStoredEvents")]
    private static partial void LogSkipped(ILogger logger, int skipped, int count);
}

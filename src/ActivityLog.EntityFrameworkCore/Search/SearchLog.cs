using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Search;

/// <summary>Log messages of the reader's search, source-generated (event ids 2801–2899; every id is listed in docs/logging.md).</summary>
internal static partial class SearchLog
{
    [LoggerMessage(2801, LogLevel.Warning,
        "ActivityLog search on {Table} ({Provider}) has no full-text index, so it scans the account's events with a case-insensitive substring match: " +
        "on SQLite create the FTS5 table (CreateSchemaOnStart, or the migration in the store's README); on PostgreSQL map the table with AddActivityLog() on Npgsql. Logged once.")]
    public static partial void Unindexed(ILogger logger, string table, string provider);
}

using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Schema;

/// <summary>Log messages of schema creation, source-generated (event ids 2501–2599; every id is listed in docs/logging.md).</summary>
internal static partial class SchemaLog
{
    public const int CreatedId = 2501;
    public const int AlreadyThereId = 2502;

    [LoggerMessage(CreatedId, LogLevel.Information, "ActivityLog created the missing parts of its table {Table} on {Provider} (CreateSchemaOnStart).")]
    public static partial void Created(ILogger logger, string table, string provider);

    [LoggerMessage(AlreadyThereId, LogLevel.Debug, "ActivityLog found its table {Table} and its indexes in place on {Provider}; nothing to create.")]
    public static partial void AlreadyThere(ILogger logger, string table, string provider);
}

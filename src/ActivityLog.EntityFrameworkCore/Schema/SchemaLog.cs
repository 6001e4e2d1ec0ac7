using Microsoft.Extensions.Logging;

namespace ActivityLog.EntityFrameworkCore.Schema;

/// <summary>Log messages of schema creation, source-generated (event ids 601–609).</summary>
internal static partial class SchemaLog
{
    public const int CreatedId = 601;
    public const int AlreadyThereId = 602;

    [LoggerMessage(CreatedId, LogLevel.Information, "ActivityLog created the missing parts of its table {Table} on {Provider} (CreateSchemaOnStart).")]
    public static partial void Created(ILogger logger, string table, string provider);

    [LoggerMessage(AlreadyThereId, LogLevel.Debug, "ActivityLog found its table {Table} and its indexes in place on {Provider}; nothing to create.")]
    public static partial void AlreadyThere(ILogger logger, string table, string provider);
}

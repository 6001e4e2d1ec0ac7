using System.ComponentModel.DataAnnotations;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>Options of the EF Core store: reading, retention and schema creation.</summary>
public sealed class ActivityLogStoreOptions
{
    /// <summary>The page size when the caller names none. Default 50.</summary>
    [Range(1, 10_000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The largest page a reader returns, whatever the caller asks for. Default 500.</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 500;

    /// <summary>
    /// Events older than this are deleted by the retention job; <see langword="null"/> (the default) keeps them forever
    /// and does not run the job.
    /// </summary>
    public TimeSpan? RetentionPeriod { get; set; }

    /// <summary>How often the retention job runs. Default one hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The most rows one retention statement deletes, so that no delete holds locks for long. Default 5,000.</summary>
    [Range(1, 1_000_000)]
    public int RetentionBatchSize { get; set; } = 5_000;

    /// <summary>
    /// How many connections one batch is split over when a bulk writer (the PostgreSQL package's binary COPY) writes
    /// it, so that the database maintains the table's indexes on several cores. Parts have at least 100 rows; the
    /// generic <c>SaveChanges</c> path always writes a batch on one connection. Default 2; 1 turns it off.
    /// </summary>
    [Range(1, 16)]
    public int ParallelBulkWrites { get; set; } = 2;

    /// <summary>
    /// Creates the database and the activity log table at start when they do not exist. Meant for the standalone
    /// context and samples; hosts that own the schema use migrations instead. Default <see langword="false"/>.
    /// </summary>
    public bool CreateSchemaOnStart { get; set; }
}

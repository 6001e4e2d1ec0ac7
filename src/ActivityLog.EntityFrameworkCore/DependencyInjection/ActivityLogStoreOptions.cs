using System.ComponentModel.DataAnnotations;

namespace ActivityLog.EntityFrameworkCore;

/// <summary>
/// Options of the EF Core store: reading, retention and schema creation. Bound from the <see cref="SectionName"/>
/// section (<c>ActivityLog:Store</c>) by the <c>AddEntityFrameworkStore</c> overloads that take an <c>IConfiguration</c>,
/// and validated when the host starts (an invalid value fails the start, naming its configuration path).
/// </summary>
public sealed class ActivityLogStoreOptions
{
    /// <summary>The configuration section these options are conventionally bound from.</summary>
    public const string SectionName = "ActivityLog:Store";

    /// <summary>The page size when the caller names none; at most <see cref="MaxPageSize"/>.</summary>
    /// <value>50; 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The largest page a reader returns, whatever the caller asks for.</summary>
    /// <value>500; 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 500;

    /// <summary>
    /// Events older than this are deleted by the retention job; <see langword="null"/> keeps them forever and does not
    /// run the job. Positive when set.
    /// </summary>
    /// <value><see langword="null"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.0000001", "10675199.02:48:05.4775807")]
    public TimeSpan? RetentionPeriod { get; set; }

    /// <summary>How often the retention job runs. <see cref="PeriodicTimer"/>'s limits: more than zero, at most 49 days.</summary>
    /// <value>One hour.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "49.00:00:00")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The most rows one retention statement deletes, so that no delete holds locks for long.</summary>
    /// <value>5,000; 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int RetentionBatchSize { get; set; } = 5_000;

    /// <summary>
    /// How many connections one batch is split over when a bulk writer (the PostgreSQL package's binary COPY) writes
    /// it, so that the database maintains the table's indexes on several cores. Parts have at least 100 rows; the
    /// generic <c>SaveChanges</c> path always writes a batch on one connection. 1 turns it off.
    /// </summary>
    /// <value>2; 1 to 16.</value>
    [Range(1, 16)]
    public int ParallelBulkWrites { get; set; } = 2;

    /// <summary>
    /// Creates the database and the activity log table at start when they do not exist. Meant for the standalone
    /// context and samples; hosts that own the schema use migrations instead.
    /// </summary>
    /// <value><see langword="false"/>.</value>
    public bool CreateSchemaOnStart { get; set; }
}

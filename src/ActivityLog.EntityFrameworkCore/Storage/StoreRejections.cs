using System.Data.Common;
using ActivityLog.Extensibility;

namespace ActivityLog.EntityFrameworkCore.Storage;

/// <summary>
/// Tells the failures caused by what a batch holds from the ones caused by the database being unavailable, so the
/// dispatcher splits the first (and quarantines the event that causes it) and retries the second with back-off.
/// </summary>
/// <remarks>
/// The rule is the SQL standard's SQLSTATE class, which every ADO.NET provider that reports one shares
/// (<see cref="DbException.SqlState"/>: Npgsql, MySqlConnector, …): class 22 (data exception: NUL in text, an invalid
/// byte sequence, a value out of range), 23 (integrity constraint violation) and 54 (program limit exceeded: a row or
/// value too large) are about the rows. Anything else (a connection, a lock timeout, a missing table) is retried,
/// whatever the provider says of its transience, because splitting cannot help it. Provider messages are not kept:
/// they may quote a value.
/// </remarks>
internal static class StoreRejections
{
    public static ActivityLogEventRejectedException? Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException { SqlState: { Length: 5 } state } && state[..2] is "22" or "23" or "54")
            {
                return new ActivityLogEventRejectedException(
                    $"The database refused the batch's rows (SQLSTATE {state}, {ClassName(state)}): a value of an event cannot be stored.", exception);
            }
        }

        return null;
    }

    /// <summary>A row could not be built from the event (its values cannot be written as the JSON columns).</summary>
    public static ActivityLogEventRejectedException Unconvertible(ActivityLogEvent activityEvent, Exception exception) =>
        new(activityEvent.Id, $"The event could not be written as a row ({exception.GetType().Name} while serializing its JSON columns).", exception);

    private static string ClassName(string state) => state[..2] switch
    {
        "22" => "data exception",
        "23" => "integrity constraint violation",
        _ => "program limit exceeded",
    };
}

using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ActivityLog.Testing.EntityFrameworkCore;

/// <summary>
/// Keeps the text and parameters of the last query a context ran, so that a test or benchmark can ask the database
/// for that query's plan (shared by the reader's index tests and the reader benchmarks).
/// </summary>
internal sealed class CommandCapture : DbCommandInterceptor
{
    public string Text { get; private set; } = "";

    public List<(string Name, object? Value)> Parameters { get; } = [];

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Text = command.CommandText;
        Parameters.Clear();
        foreach (DbParameter parameter in command.Parameters)
        {
            Parameters.Add((parameter.ParameterName, parameter.Value));
        }

        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }
}

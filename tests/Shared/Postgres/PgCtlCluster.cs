using System.ComponentModel;
using System.Diagnostics;

namespace ActivityLog.Testing.Postgres;

/// <summary>Runs Debian's <c>pg_ctlcluster VERSION CLUSTER ACTION…</c> and collects what it printed.</summary>
internal static class PgCtlCluster
{
    /// <summary>Runs <c>pg_ctlcluster</c>; throws when it cannot be started or does not end within <paramref name="limit"/>.</summary>
    /// <param name="version">The cluster's major version, such as <c>15</c>.</param>
    /// <param name="cluster">The cluster's name, such as <c>outage</c>.</param>
    /// <param name="arguments">The action and its options, such as <c>stop -m fast</c>.</param>
    /// <param name="limit">How long the command may take.</param>
    /// <param name="cancellationToken">Cancels the wait and kills the command.</param>
    public static async Task<Result> RunAsync(
        string version, string cluster, IReadOnlyList<string> arguments, TimeSpan limit, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("pg_ctlcluster")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add(version);
        startInfo.ArgumentList.Add(cluster);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var command = "pg_ctlcluster " + string.Join(' ', startInfo.ArgumentList);
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Could not run {command}: {ex.Message}. The tests control their PostgreSQL clusters with Debian's " +
                "postgresql-common as root; run scripts/postgres.sh start (as root) to set them up.",
                ex);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{command} did not finish within {limit.TotalSeconds:0} s.");
        }

        // A server started by the command could keep the output pipes open; what was printed until now is enough.
        var output = Task.WhenAll(stdout, stderr);
        await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(5), cancellationToken)).ConfigureAwait(false);
        var printed = output.IsCompletedSuccessfully ? string.Join('\n', output.Result).Trim() : "(its output was not closed)";
        return new Result(command, process.ExitCode, printed);
    }

    /// <summary>What a <c>pg_ctlcluster</c> run did.</summary>
    /// <param name="Command">The command line.</param>
    /// <param name="ExitCode">Its exit code: 0 done, 2 already in the asked state (not running, already running).</param>
    /// <param name="Output">What it printed on standard output and standard error.</param>
    public sealed record Result(string Command, int ExitCode, string Output);
}

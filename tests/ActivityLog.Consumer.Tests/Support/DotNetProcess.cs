using System.Diagnostics;
using System.Text;

namespace ActivityLog.Consumer.Tests.Support;

/// <summary>
/// Runs the <c>dotnet</c> CLI in a folder, bounded in time, with the environment of a fresh shell: no MSBuild
/// variables inherited from the test host, and NuGet's global packages folder chosen by the caller.
/// </summary>
internal sealed class DotNetProcess
{
    private readonly string _packagesFolder;
    private readonly string _cliHome;

    /// <param name="packagesFolder">NuGet's global packages folder for these runs.</param>
    /// <param name="cliHome">
    /// The CLI's home (DOTNET_CLI_HOME) for these runs: local tools resolve through a cache there, which on a shared
    /// machine can point at another user's packages folder ("Run dotnet tool restore" although it was).
    /// </param>
    public DotNetProcess(string packagesFolder, string cliHome)
    {
        _packagesFolder = packagesFolder;
        _cliHome = cliHome;
    }

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> and fails with its output when it does not exit 0.</summary>
    public async Task<string> RunAsync(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(workingDirectory, arguments);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish within {timeout}:\n{Text(output)}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{Text(output)}");
        }

        return Text(output);
    }

    /// <summary>Starts <c>dotnet</c> without waiting; the caller reads its output and ends it.</summary>
    public Process Start(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under MSBuild/VSTest variables that would steer a nested build; a consumer has none.
        foreach (var name in start.Environment.Keys.Where(IsHostVariable).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["NUGET_PACKAGES"] = _packagesFolder;
        start.Environment["DOTNET_CLI_HOME"] = _cliHome;
        // No MSBuild worker nodes left running after the test.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    private static bool IsHostVariable(string name) =>
        name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
        || name.Equals("NUGET_PACKAGES", StringComparison.OrdinalIgnoreCase)
        || name.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

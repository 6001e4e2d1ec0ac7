using System.Collections.Concurrent;
using System.Diagnostics;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Tests.Durability;

/// <summary>
/// The database the processes of a durability test share: a SQLite file in its own temporary folder (beside a Data
/// Protection key folder), or a PostgreSQL database; removed when disposed.
/// </summary>
internal sealed class DurabilityStore : IAsyncDisposable
{
    private readonly DirectoryInfo _folder;

    private DurabilityStore(string provider, string connectionString, DirectoryInfo folder)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _folder = folder;
        KeyFolder = Directory.CreateDirectory(Path.Combine(folder.FullName, "keys")).FullName;
    }

    public string Provider { get; }

    public string ConnectionString { get; }

    /// <summary>A Data Protection key folder the processes share, so that one can sign with secrets another encrypted.</summary>
    public string KeyFolder { get; }

    public static async Task<DurabilityStore> CreateAsync(string provider, string prefix)
    {
        var folder = Directory.CreateTempSubdirectory($"activitylog-{prefix}-");
        string connection = provider == "sqlite"
            ? $"Data Source={Path.Combine(folder.FullName, "store.db")}"
            : await PostgresServer.Main.CreateDatabaseAsync(prefix);
        return new DurabilityStore(provider, connection, folder);
    }

    /// <summary>Every event stored for <paramref name="accountId"/>, read through the store's own reader.</summary>
    public async Task<List<ActivityLogEvent>> ReadAsync(string accountId)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddActivityLog().AddEntityFrameworkStore(db => DurabilityChild.Use(db, Provider, ConnectionString));
        await using var container = services.BuildServiceProvider();
        var stored = new List<ActivityLogEvent>();
        await foreach (var activity in container.GetRequiredService<IActivityLogReader>().ReadAllAsync(new ActivityLogQuery(accountId)))
        {
            stored.Add(activity);
        }

        return stored;
    }

    public async ValueTask DisposeAsync()
    {
        if (Provider == "postgresql")
        {
            await PostgresServer.Main.DropDatabaseAsync(ConnectionString);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a pooled handle: the OS temp cleaner removes it later.
        }
    }
}

/// <summary>
/// A child process running this test assembly's <see cref="DurabilityChild"/>, whose output is kept for the failure
/// message of a test that timed out. <see cref="KillAsync"/> sends SIGKILL: no graceful stop, no drain.
/// </summary>
internal sealed class DurabilityProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;
    private readonly string _mode;

    private DurabilityProcess(Process process, string mode, ConcurrentQueue<string> output)
    {
        _process = process;
        _mode = mode;
        _output = output;
    }

    /// <summary>Starts <c>dotnet &lt;this assembly&gt; mode arguments…</c>; its lines go to <paramref name="output"/>, prefixed with the mode.</summary>
    public static DurabilityProcess Start(ConcurrentQueue<string> output, string mode, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(DurabilityChild).Assembly.Location);
        start.ArgumentList.Add(mode);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var child = new DurabilityProcess(Process.Start(start)!, mode, output);
        child._process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        child._process.BeginErrorReadLine();
        child._process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        child._process.BeginOutputReadLine();
        return child;
    }

    public async Task KillAsync()
    {
        _process.Kill(); // SIGKILL on Unix
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose() => _process.Dispose();

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(_mode + ": " + line);
        }
    }
}

using Microsoft.Extensions.Logging;

namespace ActivityLog.Webhooks.Tests.Durability;

/// <summary>
/// Warnings, errors and ActivityLog's own information lines of a child process on its standard error, where the parent test collects them for its failure
/// message. (The console logging package is not referenced by the tests; one line per entry is all a child needs.)
/// </summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName);

    public void Dispose()
    {
    }

    private sealed class StderrLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning || (logLevel >= LogLevel.Information && category.StartsWith("ActivityLog", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.Error.WriteLine($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
            }
        }
    }
}

using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using ActivityLog;
using ActivityLog.Extensibility;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Records plain objects whose TaxId is [SensitiveData] under native AOT and prints, one line each:
//   RUNTIME dynamic_code=<bool>    EVENT <the event's JSON, as sinks see it>    LOG <a warning the library logged>
//   MASKED_WHOLE <the activitylog.values.masked_whole total>
// AotPublishTests publishes this app, runs the native binary and checks those lines.
Console.WriteLine($"RUNTIME dynamic_code={RuntimeFeature.IsDynamicCodeSupported}");

long maskedWhole = 0;
using var listener = new MeterListener();
listener.InstrumentPublished = (instrument, l) =>
{
    if (instrument.Meter.Name == "ActivityLog" && instrument.Name == "activitylog.values.masked_whole")
    {
        l.EnableMeasurementEvents(instrument);
    }
};
listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref maskedWhole, value));
listener.Start();

var services = new ServiceCollection();
services.AddLogging(logging => logging.AddProvider(new LinePrinter()));
services.AddActivityLog()
    .AddSink(new PrintingSink())
    .ConfigureRedaction(r => r.AddSensitiveProperties<Billing>().AddSensitiveProperties<Order>());

await using var provider = services.BuildServiceProvider();
var hosted = provider.GetServices<IHostedService>().ToList();
foreach (var service in hosted)
{
    await service.StartAsync(CancellationToken.None);
}

var recorder = provider.GetRequiredService<IActivityRecorder>();
var account = new ActivityResource("account", 1, "Acme");
// Registered: walked member by member. Unregistered, twice: masked whole, counted twice, logged once.
recorder.Record("activity_log.billing.registered", account, [ActivityChange.Of("billing", null, new Billing("Berlin", "DE-TAX-123"))]);
recorder.Record("activity_log.billing.unregistered", account, [ActivityChange.Of("billing", null, new Invoice("Berlin", "DE-TAX-123"))]);
recorder.Record("activity_log.billing.unregistered", account, [ActivityChange.Of("billing", null, new Invoice("Hamburg", "DE-TAX-123"))]);
// Registered, holding an unregistered one: the nested value is masked whole.
recorder.Record("activity_log.billing.nested", account, metadata: new Dictionary<string, object?> { ["order"] = new Order("A-1", new Invoice("Berlin", "DE-TAX-123")) });

await provider.GetRequiredService<IActivityDispatcher>().FlushAsync();
foreach (var service in hosted)
{
    await service.StopAsync(CancellationToken.None);
}

listener.RecordObservableInstruments();
Console.WriteLine($"MASKED_WHOLE {Interlocked.Read(ref maskedWhole)}");

// The TimeSpan ranges ([Range(typeof(TimeSpan), …)], whose trim warning the core suppresses) are enforced under native
// AOT by the source-generated validator: an out-of-range value is refused, naming its configuration path.
var invalid = new ServiceCollection();
invalid.AddActivityLog(o => o.BatchDelay = TimeSpan.FromHours(2));
await using (var invalidProvider = invalid.BuildServiceProvider())
{
    try
    {
        _ = invalidProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ActivityLogOptions>>().Value;
        Console.WriteLine("VALIDATION none");
    }
    catch (Microsoft.Extensions.Options.OptionsValidationException exception)
    {
        Console.WriteLine("VALIDATION " + string.Join(" | ", exception.Failures));
    }
}

/// <summary>A registered type.</summary>
internal sealed record Billing(string City, [property: SensitiveData] string TaxId);

/// <summary>Not registered: its members cannot be inspected under native AOT.</summary>
internal sealed record Invoice(string City, [property: SensitiveData] string TaxId);

/// <summary>A registered type with an unregistered member.</summary>
internal sealed record Order(string Number, Invoice Invoice);

/// <summary>Prints every event as the library's JSON.</summary>
internal sealed class PrintingSink : IActivitySink
{
    public Task WriteBatchAsync(IReadOnlyList<ActivityLogEvent> batch, CancellationToken cancellationToken)
    {
        foreach (var activityEvent in batch)
        {
            Console.WriteLine("EVENT " + ActivityJsonSerializer.Serialize(activityEvent, ActivityJsonFields.Metadata));
        }

        return Task.CompletedTask;
    }
}

/// <summary>Prints warnings and errors, one line each.</summary>
internal sealed class LinePrinter : ILoggerProvider, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.WriteLine($"LOG {eventId.Id} {formatter(state, exception)}");
        }
    }

    public void Dispose()
    {
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace ActivityLog.EntityFrameworkCore.Schema;

/// <summary>
/// Creates the activity log schema while the host starts. It works in <see cref="StartingAsync"/>, which the host runs
/// for every lifecycle service before any <see cref="IHostedService.StartAsync"/>: the dispatcher (started in its
/// <c>StartAsync</c>) then never writes into a missing table. A failure fails the host's start.
/// </summary>
/// <typeparam name="TContext">The context holding the activity log table.</typeparam>
internal sealed class ActivityLogSchemaHostedService<TContext>(ActivityLogSchemaInitializer<TContext> initializer) : IHostedLifecycleService
    where TContext : DbContext
{
    public Task StartingAsync(CancellationToken cancellationToken) => initializer.WhenReadyAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using ActivityLog.Extensibility;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActivityLog.EntityFrameworkCore.Outbox;

/// <summary>Registers the outbox: the <see cref="IActivityOutbox"/> a delivery package claims from, and the write side the store's paths share.</summary>
internal static class OutboxRegistration
{
    public static void Add<TContext>(ActivityLogBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        // AddActivityLog() registered the TimeProvider and the ActivityOutboxSignal both sides share.
        services.TryAddSingleton<OutboxWriter>();
        // TryAdd: the first store registered holds the outbox, as it serves the reader.
        services.TryAddSingleton<IActivityOutbox, EntityFrameworkActivityOutbox<TContext>>();
    }
}

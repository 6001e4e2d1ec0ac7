using ActivityLog;
using ActivityLog.Testing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires the test capture into an app's ActivityLog.</summary>
public static class ActivityLogTestingExtensions
{
    /// <summary>Adds a <see cref="CapturingActivitySink"/> (one per container); resolve it to assert on what was recorded.</summary>
    /// <param name="builder">The builder from <c>AddActivityLog()</c>.</param>
    /// <returns>The builder.</returns>
    public static ActivityLogBuilder AddCapture(this ActivityLogBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(sp => new CapturingActivitySink(
            () => (IActivityDispatcher?)sp.GetService(typeof(IActivityDispatcher))));
        return builder.AddSink<CapturingActivitySink>();
    }
}

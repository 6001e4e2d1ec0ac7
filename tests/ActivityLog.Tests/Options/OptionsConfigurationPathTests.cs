using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ActivityLog.Tests.Options;

/// <summary>A bad value from configuration fails validation with a message that names its configuration path.</summary>
public sealed class OptionsConfigurationPathTests
{
    [Theory]
    [InlineData("ActivityLog:QueueCapacity", "0")]
    [InlineData("ActivityLog:QueueFullMode", "42")]
    [InlineData("ActivityLog:QueueFullTimeout", "00:00:00")]
    [InlineData("ActivityLog:MaxBatchSize", "100001")]
    [InlineData("ActivityLog:BatchDelay", "00:02:00")]
    [InlineData("ActivityLog:ShutdownTimeout", "02:00:00")]
    [InlineData("ActivityLog:SinkQueueCapacity", "0")]
    [InlineData("ActivityLog:SinkQueueFullTimeout", "00:02:00")]
    [InlineData("ActivityLog:QuarantineCapacity", "0")]
    [InlineData("ActivityLog:SinkRetry:MaxRetryAttempts", "1001")]
    [InlineData("ActivityLog:SinkRetry:Delay", "02:00:00")]
    [InlineData("ActivityLog:SinkRetry:MaxDelay", "2.00:00:00")]
    [InlineData("ActivityLog:Limits:MaxEventSize", "10")]
    [InlineData("ActivityLog:Limits:MaxCollectionLength", "0")]
    [InlineData("ActivityLog:Limits:MaxDepth", "65")]
    public void A_bad_value_is_reported_under_its_configuration_path(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var services = new ServiceCollection();
        services.AddActivityLog(configuration.GetSection(ActivityLogOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<ActivityLogOptions>>().Value;

        var failure = read.Should().Throw<OptionsValidationException>().Which;
        failure.Failures.Should().Contain(f => f.Contains(key + " ", StringComparison.Ordinal), "the failure names {0}: {1}", key, failure.Message);
    }
}

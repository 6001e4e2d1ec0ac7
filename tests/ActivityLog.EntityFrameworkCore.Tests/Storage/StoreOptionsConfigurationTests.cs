using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.Tests.Storage;

/// <summary>The store's options from configuration (source-generated binding), and their validation at start.</summary>
public sealed class StoreOptionsConfigurationTests
{
    /// <summary>A value for every store option, none of them its default.</summary>
    private static readonly Dictionary<string, string?> EveryStoreOption = new()
    {
        ["ActivityLog:Store:DefaultPageSize"] = "20",
        ["ActivityLog:Store:MaxPageSize"] = "200",
        ["ActivityLog:Store:RetentionPeriod"] = "365.00:00:00",
        ["ActivityLog:Store:RetentionInterval"] = "00:15:00",
        ["ActivityLog:Store:RetentionBatchSize"] = "1000",
        ["ActivityLog:Store:ParallelBulkWrites"] = "4",
        ["ActivityLog:Store:CreateSchemaOnStart"] = "true",
    };

    [Fact]
    public async Task Every_store_and_retention_option_binds_from_its_configuration_section()
    {
        // Every public settable property has a key above, so an option added later cannot be left out of this test.
        typeof(ActivityLogStoreOptions).GetProperties().Where(p => p.CanWrite).Select(p => $"{ActivityLogStoreOptions.SectionName}:{p.Name}")
            .Should().BeEquivalentTo(EveryStoreOption.Keys);
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "store_config");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(EveryStoreOption).Build();
        var services = new ServiceCollection();
        services.AddDbContext<StoreTestContext>(database.Configure);
        services.AddActivityLog().AddEntityFrameworkStore<StoreTestContext>(configuration.GetSection(ActivityLogStoreOptions.SectionName));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ActivityLogStoreOptions>>().Value;

        options.DefaultPageSize.Should().Be(20);
        options.MaxPageSize.Should().Be(200);
        options.RetentionPeriod.Should().Be(TimeSpan.FromDays(365));
        options.RetentionInterval.Should().Be(TimeSpan.FromMinutes(15));
        options.RetentionBatchSize.Should().Be(1000);
        options.ParallelBulkWrites.Should().Be(4);
        options.CreateSchemaOnStart.Should().BeTrue();
    }

    [Fact]
    public async Task Code_adjusts_the_options_after_binding()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "store_config_code");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(EveryStoreOption).Build();
        var services = new ServiceCollection();
        services.AddDbContext<StoreTestContext>(database.Configure);
        services.AddActivityLog().AddEntityFrameworkStore<StoreTestContext>(configuration.GetSection(ActivityLogStoreOptions.SectionName), o => o.MaxPageSize = 300);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ActivityLogStoreOptions>>().Value;

        options.MaxPageSize.Should().Be(300);
        options.DefaultPageSize.Should().Be(20);
    }

    [Theory]
    [InlineData("DefaultPageSize", "0")]
    [InlineData("MaxPageSize", "10001")]
    [InlineData("RetentionPeriod", "-1.00:00:00")]
    [InlineData("RetentionPeriod", "00:00:00")]
    [InlineData("RetentionInterval", "00:00:00")]
    [InlineData("RetentionInterval", "50.00:00:00")]
    [InlineData("RetentionBatchSize", "0")]
    [InlineData("ParallelBulkWrites", "17")]
    public async Task A_bad_value_in_configuration_fails_the_start_naming_its_configuration_path(string option, string value)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "store_config_bad");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"ActivityLog:Store:{option}"] = value }).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddDbContext<StoreTestContext>(database.Configure);
        builder.Services.AddActivityLog().AddEntityFrameworkStore<StoreTestContext>(configuration.GetSection(ActivityLogStoreOptions.SectionName));
        using var host = builder.Build();

        var start = () => host.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.OptionsType.Should().Be<ActivityLogStoreOptions>();
        failure.Failures.Should().ContainSingle().Which.Should().Contain($"ActivityLog:Store:{option}");
    }

    [Fact]
    public async Task An_undefined_capture_failure_behavior_fails_the_start_naming_the_option()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "capture_options_bad");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddDbContext<StoreTestContext>(database.Configure);
        builder.Services.AddActivityLog().AddEntityFrameworkStore<StoreTestContext>();
        builder.Services.Configure<ActivityChangeCaptureOptions>(o => o.OnFailure = (ActivityCaptureFailureBehavior)42);
        using var host = builder.Build();

        var start = () => host.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.OptionsType.Should().Be<ActivityChangeCaptureOptions>();
        failure.Message.Should().Contain("OnFailure");
    }
}

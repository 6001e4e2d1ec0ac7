using System.Data.Common;
using System.Threading.Channels;
using ActivityLog.EntityFrameworkCore.Retention;
using ActivityLog.EntityFrameworkCore.Tests.Reading;
using ActivityLog.EntityFrameworkCore.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static ActivityLog.EntityFrameworkCore.Tests.Reading.ReadingEvents;

namespace ActivityLog.EntityFrameworkCore.Tests.Retention;

/// <summary>The retention job in a real generic host, on a <see cref="FakeTimeProvider"/>.</summary>
public sealed class RetentionJobTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Period = TimeSpan.FromDays(30);
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_job_runs_at_start_and_then_every_interval(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, "retention");
        await CreateSchemaAsync(database);
        var random = new Random(41);
        var cutoff = Now - Period;
        var old = Enumerable.Range(0, 12).Select(i => Event(RandomId(random), i % 2 == 0 ? "acct-a" : "acct-b", cutoff.AddHours(-1 - i))).ToList();
        var atCutoff = Event(RandomId(random), "acct-a", cutoff);
        var oldWithinTheHour = Enumerable.Range(0, 5).Select(i => Event(RandomId(random), "acct-b", cutoff.AddMinutes(30 + i))).ToList();
        var fresh = Enumerable.Range(0, 8).Select(i => Event(RandomId(random), "acct-a", Now.AddDays(-1).AddMinutes(i))).ToList();
        await InsertAsync(database, old.Append(atCutoff).Concat(oldWithinTheHour).Concat(fresh));
        var time = new FakeTimeProvider(Now);
        using var host = BuildHost(database, time, o =>
        {
            o.RetentionPeriod = Period;
            o.RetentionInterval = Interval;
            o.RetentionBatchSize = 4;
        });
        var runs = ObserveRuns(host);

        await host.StartAsync();
        var first = await runs.ReadAsync().AsTask().WaitAsync(RunTimeout);
        var afterFirst = await RowIdsAsync(database);
        time.Advance(Interval - TimeSpan.FromMinutes(1));
        bool ranEarly = runs.TryRead(out _);
        time.Advance(TimeSpan.FromMinutes(1));
        var second = await runs.ReadAsync().AsTask().WaitAsync(RunTimeout);
        var afterSecond = await RowIdsAsync(database);
        await host.StopAsync();

        first.Error.Should().BeNull();
        first.Cutoff.Should().Be(cutoff, "the job measures the period from the registered TimeProvider");
        first.Deleted.Should().Be(12);
        afterFirst.Should().BeEquivalentTo(oldWithinTheHour.Append(atCutoff).Concat(fresh).Ids());
        ranEarly.Should().BeFalse("the next run is due one interval after the start");
        second.Error.Should().BeNull();
        second.Cutoff.Should().Be(cutoff + Interval);
        second.Deleted.Should().Be(6, "the event at the old cutoff and those within the hour after it are now too old");
        afterSecond.Should().BeEquivalentTo(fresh.Ids());
        host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot()
            .Where(r => r.Id.Id == 2300 && r.Level == LogLevel.Information).Should().HaveCount(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_failed_run_is_logged_and_retried_at_the_next_interval_without_stopping_the_host(DatabaseProvider provider)
    {
        // No table yet: the first run fails the way a missing migration or a lost database does.
        await using var database = await TestDatabase.CreateAsync(provider, "retention");
        var time = new FakeTimeProvider(Now);
        using var host = BuildHost(database, time, o =>
        {
            o.RetentionPeriod = Period;
            o.RetentionInterval = Interval;
        });
        var runs = ObserveRuns(host);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        await host.StartAsync();
        var failed = await runs.ReadAsync().AsTask().WaitAsync(RunTimeout);
        await CreateSchemaAsync(database);
        var random = new Random(42);
        await InsertAsync(database, Enumerable.Range(0, 3).Select(i => Event(RandomId(random), "acct", Now.AddDays(-40 - i))));
        time.Advance(Interval);
        var retried = await runs.ReadAsync().AsTask().WaitAsync(RunTimeout);
        bool stopping = lifetime.ApplicationStopping.IsCancellationRequested;
        await host.StopAsync();

        failed.Error.Should().NotBeNull();
        failed.Error.Should().BeAssignableTo<DbException>();
        host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot()
            .Should().ContainSingle(r => r.Id.Id == 2301 && r.Level == LogLevel.Error && r.Exception == failed.Error);
        stopping.Should().BeFalse("a failed run never stops the host");
        retried.Error.Should().BeNull();
        retried.Deleted.Should().Be(3);
        (await RowIdsAsync(database)).Should().BeEmpty();
    }

    [Fact]
    public async Task Without_a_retention_period_the_job_does_not_run()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "retention");
        await CreateSchemaAsync(database);
        var ancient = Event(Guid.NewGuid(), "acct", Now.AddYears(-10));
        await InsertAsync(database, [ancient]);
        var time = new FakeTimeProvider(Now);
        using var host = BuildHost(database, time, o => o.RetentionInterval = Interval);
        var runs = ObserveRuns(host);
        var job = host.Services.GetServices<IHostedService>().OfType<ActivityLogRetentionService>().Single();

        await host.StartAsync();
        await job.ExecuteTask!.WaitAsync(RunTimeout);
        time.Advance(Interval * 3);
        await host.StopAsync();

        job.ExecuteTask.IsCompletedSuccessfully.Should().BeTrue("the job ends at once when there is nothing to do");
        runs.TryRead(out _).Should().BeFalse();
        (await RowIdsAsync(database)).Should().Equal(ancient.Id);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(30, 0)]
    [InlineData(30, -1)]
    public async Task Unusable_retention_settings_fail_the_start(int periodDays, int intervalMinutes)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, "retention");
        using var host = BuildHost(database, new FakeTimeProvider(Now), o =>
        {
            o.RetentionPeriod = TimeSpan.FromDays(periodDays);
            o.RetentionInterval = TimeSpan.FromMinutes(intervalMinutes);
        });

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).WithMessage("*Retention*");
    }

    private static IHost BuildHost(TestDatabase database, TimeProvider time, Action<ActivityLogStoreOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddFakeLogging();
        builder.Services.AddSingleton(time);
        builder.Services.AddDbContext<ReadingTestContext>(database.Configure);
        builder.Services.AddActivityLog().AddEntityFrameworkStore<ReadingTestContext>(configure);
        return builder.Build();
    }

    /// <summary>Every run of the job, failed or not, as it completes: the test waits on these instead of sleeping.</summary>
    private static ChannelReader<RetentionRun> ObserveRuns(IHost host)
    {
        var channel = Channel.CreateUnbounded<RetentionRun>();
        var job = host.Services.GetServices<IHostedService>().OfType<ActivityLogRetentionService>().Single();
        job.RunCompleted = run => channel.Writer.TryWrite(run);
        return channel.Reader;
    }

    private static async Task CreateSchemaAsync(TestDatabase database)
    {
        await using var context = new ReadingTestContext(database.Options<ReadingTestContext>());
        await context.Database.EnsureCreatedAsync();
    }

    private static async Task InsertAsync(TestDatabase database, IEnumerable<ActivityLogEvent> events)
    {
        await using var context = new ReadingTestContext(database.Options<ReadingTestContext>());
        context.Set<StoredActivityLogEvent>().AddRange(events.Select(StoredActivityLogEvent.FromActivityLogEvent));
        await context.SaveChangesAsync();
    }

    private static async Task<List<Guid>> RowIdsAsync(TestDatabase database)
    {
        await using var context = new ReadingTestContext(database.Options<ReadingTestContext>());
        return await context.Set<StoredActivityLogEvent>().Select(e => e.Id).ToListAsync();
    }
}

using ActivityLog.Extensibility;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.Tests.Delivery;

public sealed class ActivityOutboxSignalTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_notification_that_came_after_the_version_was_read_returns_at_once()
    {
        var signal = new ActivityOutboxSignal();
        long seen = signal.Version;
        signal.Notify(); // while the worker was looking for work

        var wait = signal.WaitAsync(seen, TimeSpan.FromMinutes(1), _time, CancellationToken.None);

        wait.IsCompletedSuccessfully.Should().BeTrue("the notification must not be missed");
        (await wait).Should().BeTrue();
        signal.Version.Should().Be(seen + 1);
    }

    [Fact]
    public async Task A_waiter_is_woken_by_the_next_notification()
    {
        var signal = new ActivityOutboxSignal();
        var wait = signal.WaitAsync(signal.Version, TimeSpan.FromMinutes(1), _time, CancellationToken.None);
        wait.IsCompleted.Should().BeFalse();

        signal.Notify();

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue();
    }

    [Fact]
    public async Task Without_a_notification_the_wait_ends_after_the_timeout_on_the_given_clock()
    {
        var signal = new ActivityOutboxSignal();
        var wait = signal.WaitAsync(signal.Version, TimeSpan.FromSeconds(5), _time, CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(4));
        wait.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromSeconds(1));

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeFalse();
    }

    [Fact]
    public async Task Cancellation_ends_the_wait_with_OperationCanceledException()
    {
        var signal = new ActivityOutboxSignal();
        using var cancel = new CancellationTokenSource();
        var wait = signal.WaitAsync(signal.Version, TimeSpan.FromMinutes(1), _time, cancel.Token);

        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => wait).Should().ThrowAsync<OperationCanceledException>();
    }
}

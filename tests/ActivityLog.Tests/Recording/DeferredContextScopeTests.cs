using ActivityLog.Tests.Support;

namespace ActivityLog.Tests.Recording;

/// <summary>
/// A scope whose request context is built at its first use (the ASP.NET Core middleware's): built once, only when asked,
/// never from its source after the seal, merged with what nested scopes add, and inherited lazily by nested scopes.
/// </summary>
public sealed class DeferredContextScopeTests
{
    private sealed class CountingSource(string userAgent) : DeferredRequestContext
    {
        private volatile bool _released;
        private int _builds;

        public int Builds => Volatile.Read(ref _builds);

        protected override ActivityRequestContext Build()
        {
            if (_released)
            {
                throw new InvalidOperationException("Read after the seal.");
            }

            Interlocked.Increment(ref _builds);
            return new ActivityRequestContext { UserAgent = userAgent, CorrelationId = "req-1" };
        }

        protected override void Release() => _released = true;
    }

    [Fact]
    public void The_context_is_built_at_the_first_read_and_once()
    {
        var source = new CountingSource("UA/1");
        using var scope = ActivityScope.BeginTrusted(ActivityActor.User(7, "Jane"), "acme", source);
        source.Builds.Should().Be(0, "opening the scope reads nothing");

        using (ActivityScope.BeginCollecting(new NullCollector()))
        using (ActivityScope.Begin(accountId: "acme"))
        {
            source.Builds.Should().Be(0, "nested scopes without a context of their own inherit it when it is read");
            ActivityScope.Current!.Context!.UserAgent.Should().Be("UA/1");
        }

        scope.Context.Should().BeSameAs(ActivityScope.Current!.Context);
        source.Builds.Should().Be(1);
        source.Seal();
        source.Builds.Should().Be(1, "the seal builds only when nobody did");
        scope.Context!.CorrelationId.Should().Be("req-1");
    }

    [Fact]
    public void A_scope_nobody_read_is_built_by_the_seal_and_its_source_is_not_read_after()
    {
        var source = new CountingSource("UA/1");
        using var scope = ActivityScope.BeginTrusted(ActivityActor.User(7, "Jane"), "acme", source);
        source.Seal();
        source.Builds.Should().Be(1);
        scope.Context!.UserAgent.Should().Be("UA/1", "work left running after the request still sees the request's context");
    }

    [Fact]
    public void A_nested_context_fills_its_empty_values_from_the_deferred_one()
    {
        var source = new CountingSource("UA/1");
        using var outer = ActivityScope.BeginTrusted(ActivityActor.User(7, "Jane"), "acme", source);
        using var inner = ActivityScope.Begin(context: new ActivityRequestContext { AuthMethod = "scheduler", UserAgent = "Inner/2" });
        inner.Context.Should().BeEquivalentTo(new ActivityRequestContext { AuthMethod = "scheduler", UserAgent = "Inner/2", CorrelationId = "req-1" });
    }

    [Fact]
    public async Task Records_on_many_threads_share_one_built_context()
    {
        await using var host = await ActivityLogTestHost.StartAsync();
        var source = new CountingSource("UA/1");
        var collected = new System.Collections.Concurrent.ConcurrentBag<ActivityLogEvent>();
        using (ActivityScope.BeginTrusted(ActivityActor.User(7, "Jane"), "acme", source))
        using (ActivityScope.BeginCollecting(new BagCollector(collected)))
        {
            // Threads of their own (the execution context flows to them): sixteen pool tasks blocked on a barrier would
            // wait for the pool to grow.
            using var start = new Barrier(16);
            var threads = Enumerable.Range(0, 16).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                host.Recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", "1", "example.com"));
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        }

        collected.Should().HaveCount(16);
        var first = collected.First().Context;
        first!.UserAgent.Should().Be("UA/1");
        collected.Should().OnlyContain(e => ReferenceEquals(e.Context, first), "racing first reads keep one built context");
    }

    private sealed class BagCollector(System.Collections.Concurrent.ConcurrentBag<ActivityLogEvent> bag) : IActivityLogEventCollector
    {
        public void Collect(ActivityLogEvent activityEvent) => bag.Add(activityEvent);
    }

    private sealed class NullCollector : IActivityLogEventCollector
    {
        public void Collect(ActivityLogEvent activityEvent)
        {
        }
    }
}

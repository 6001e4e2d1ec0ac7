using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Tests.Values;

/// <summary>
/// Edge cases an adversarial review of the value rules found: sizes hidden in names and empty containers, JSON values
/// that are neither strings nor doubles, the value's own code failing, and keys that are themselves personal data.
/// </summary>
public sealed class ValueEdgeCaseTests : IDisposable
{
    private const string Name = "activity_log.item.updated";
    private static readonly ActivityResource Item = new("item", 1);

    private readonly ServiceProvider _services = new ServiceCollection().AddActivityLog().Services.BuildServiceProvider();

    private IActivityRecorder Recorder => _services.GetRequiredService<IActivityRecorder>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Metadata_keys_count_toward_the_size_limit()
    {
        var metadata = Enumerable.Range(0, 65_000).ToDictionary(i => $"{i:D6}" + new string('k', 194), _ => (object?)null);

        var record = () => Recorder.Record(Name, Item, metadata: metadata);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("MaxEventSize");
    }

    [Fact]
    public void Empty_containers_count_toward_the_size_limit()
    {
        var empties = Enumerable.Range(0, 1_000).Select(_ => (object?)new List<object?>()).ToList();
        var value = Enumerable.Range(0, 1_000).Select(_ => empties).ToList();

        var record = () => Recorder.Record(Name, Item, [ActivityChange.Of("grid", null, value)]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("MaxEventSize");
    }

    [Fact]
    public void A_NUL_char_wrapped_in_a_JsonValue_is_refused()
    {
        var record = () => Recorder.Record(Name, Item, [ActivityChange.Of("c", null, new JsonObject { ["c"] = JsonValue.Create('\0') })]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("NUL").And.Contain("$.c");
    }

    [Fact]
    public void A_Half_NaN_wrapped_in_a_JsonValue_is_refused()
    {
        var record = () => Recorder.Record(Name, Item, [ActivityChange.Of("h", null, new JsonArray(JsonValue.Create(Half.NaN)))]);

        record.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("changes");
    }

    [Fact]
    public void A_property_getter_that_throws_becomes_an_ArgumentException_that_does_not_quote_its_message()
    {
        var record = () => Recorder.Record(Name, Item, [ActivityChange.Of("o", null, new ThrowingGetter())]);

        var refused = record.Should().Throw<ArgumentException>().Which;
        refused.Message.Should().Contain("change 'o'").And.NotContain("getter-secret");
        refused.InnerException.Should().BeNull();
    }

    [Fact]
    public void A_lazy_sequence_that_throws_becomes_an_ArgumentException()
    {
        var record = () => Recorder.Record(Name, Item, [ActivityChange.Of("s", null, Failing())]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().NotContain("sequence-secret");
    }

    [Fact]
    public void A_null_key_is_refused()
    {
        var pairs = new List<KeyValuePair<string, object?>> { new(null!, 1) };

        var record = () => Recorder.Record(Name, Item, [ActivityChange.Of("p", null, pairs)]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("null key");
    }

    [Fact]
    public void A_key_that_is_not_an_identifier_is_not_quoted_in_the_path()
    {
        var roles = new Dictionary<string, object?> { ["jane@example.com"] = "admin\0" };

        var record = () => Recorder.Record(Name, Item, [ActivityChange.Of("roles", null, roles)]);

        record.Should().Throw<ArgumentException>().Which.Message.Should().Contain("$.[key]").And.NotContain("jane@example.com");
    }

    private static IEnumerable<int> Failing()
    {
        yield return 1;
        throw new InvalidOperationException("sequence-secret");
    }

    private sealed class ThrowingGetter
    {
        private readonly string _secret = "getter-secret";

        public string Value => throw new InvalidOperationException(_secret);
    }
}

using System.Text.Json.Nodes;
using ActivityLog.Redaction;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ActivityLog.Tests.Redaction;

public sealed class SensitiveFieldRedactorTests
{
    public static TheoryData<string, string> DefaultFilterKeys => new()
    {
        { "passw", "password_confirmation" },
        { "email", "Email" },
        { "secret", "client_secret" },
        { "token", "api_token" },
        { "_key", "api_key" },
        { "crypt", "encrypted_payload" },
        { "salt", "salt_value" },
        { "certificate", "certificate_pem" },
        { "otp", "otp_code" },
        { "ssn", "ssn" },
        { "cvv", "card_cvv" },
        { "cvc", "CVC" },
    };

    [Fact]
    public void Default_filters_start_with_the_list_rails_generates()
    {
        // The web additions that follow are pinned in WebDefaultFilterTests.
        SensitiveFieldRedactor.DefaultFilters.Take(12).Should().Equal(
            "passw", "email", "secret", "token", "_key", "crypt", "salt", "certificate", "otp", "ssn", "cvv", "cvc");
    }

    [Theory]
    [MemberData(nameof(DefaultFilterKeys))]
    public void Default_filters_mask_keys_containing_them(string filter, string key)
    {
        key.Contains(filter, StringComparison.OrdinalIgnoreCase).Should().BeTrue();
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());

        redactor.RedactValue(key, "s3cr3t").Should().Be("[FILTERED]");
    }

    [Theory]
    [MemberData(nameof(DefaultFilterKeys))]
    public void Default_filters_can_be_turned_off(string filter, string key)
    {
        _ = filter;
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions { UseDefaultFilters = false });

        redactor.RedactValue(key, "s3cr3t").Should().Be("s3cr3t");
    }

    [Theory]
    [InlineData("name")]
    [InlineData("plan")]
    [InlineData("description")]
    public void Default_filters_leave_ordinary_keys_alone(string key)
    {
        new SensitiveFieldRedactor(new ActivityRedactionOptions()).RedactValue(key, "visible").Should().Be("visible");
    }

    [Fact]
    public void Masks_a_users_name_change_as_in_the_seed()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions().FilterResourceFields("user", "name"));
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of("name", "Jane", "Jane Doe")];

        var redacted = redactor.RedactChanges(changes, "user");

        redacted.Should().Equal(ActivityChange.Of("name", "[FILTERED]", "[FILTERED]"));
    }

    [Theory]
    [InlineData("domain")]
    [InlineData("User")]
    [InlineData(null)]
    public void Resource_type_rules_apply_only_to_that_resource_type(string? resourceType)
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions().FilterResourceFields("user", "name"));
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of("name", "Jane", "Jane Doe")];

        var redacted = redactor.RedactChanges(changes, resourceType);

        redacted.Should().BeSameAs(changes);
        redacted.Should().Equal(ActivityChange.Of("name", "Jane", "Jane Doe"));
    }

    [Fact]
    public void Resource_type_rules_add_to_the_global_rules_with_the_same_syntax()
    {
        // Authorization is in the default list now, so the scoped dotted rule is shown on another header.
        var options = new ActivityRedactionOptions().FilterResourceFields("webhook", "/^URL$/", "headers.signature");
        var redactor = new SensitiveFieldRedactor(options);
        var parameters = RedactionJson.Object("""{"URL":"https://x","url":"y","headers":{"Authorization":"Bearer z","Signature":"sig"},"api_token":"t"}""");

        redactor.Redact(parameters, "webhook")
            .ShouldEqualJson("""{"URL":"[FILTERED]","url":"y","headers":{"Authorization":"[FILTERED]","Signature":"[FILTERED]"},"api_token":"[FILTERED]"}""");
        redactor.Redact(parameters, "user")
            .ShouldEqualJson("""{"URL":"https://x","url":"y","headers":{"Authorization":"[FILTERED]","Signature":"sig"},"api_token":"[FILTERED]"}""");
    }

    [Fact]
    public void Redact_changes_masks_both_sides_of_a_sensitive_field_whatever_they_are()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        IReadOnlyList<ActivityChange> changes =
        [
            ActivityChange.Of("title", "Old", "New"),
            ActivityChange.Of("password", null, "hunter2"),
            ActivityChange.Of("api_key", JsonNode.Parse("""{"id":1}"""), JsonNode.Parse("[1,2]")),
        ];

        var redacted = redactor.RedactChanges(changes, "user");

        redacted.Should().NotBeSameAs(changes);
        redacted.Should().Equal(
            ActivityChange.Of("title", "Old", "New"),
            ActivityChange.Of("password", "[FILTERED]", "[FILTERED]"),
            ActivityChange.Of("api_key", "[FILTERED]", "[FILTERED]"));
    }

    [Fact]
    public void Redact_changes_walks_nested_values_with_the_field_as_parent_key()
    {
        var options = new ActivityRedactionOptions().FilterResourceFields("user", "settings.theme");
        var redactor = new SensitiveFieldRedactor(options);
        var from = JsonNode.Parse("""{"theme":"light","password":"old","size":3}""");
        var to = JsonNode.Parse("""[{"theme":"dark","api_token":"new"},"plain"]""");
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of("settings", from, to)];

        var redacted = redactor.RedactChanges(changes, "user");

        ((JsonNode?)redacted[0].From).ShouldEqualJson("""{"theme":"[FILTERED]","password":"[FILTERED]","size":3}""");
        ((JsonNode?)redacted[0].To).ShouldEqualJson("""[{"theme":"[FILTERED]","api_token":"[FILTERED]"},"plain"]""");
    }

    [Fact]
    public void Redact_changes_returns_the_same_list_when_nothing_is_sensitive()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        IReadOnlyList<ActivityChange> changes =
        [
            ActivityChange.Of("name", "Jane", "Jane Doe"),
            ActivityChange.Of("age", 41, 42),
            ActivityChange.Of("profile", JsonNode.Parse("""{"city":"Oslo"}"""), null),
        ];

        redactor.RedactChanges(changes, "user").Should().BeSameAs(changes);
    }

    [Fact]
    public void Redact_changes_does_not_allocate_for_plain_keys_and_primitive_values()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions().FilterResourceFields("user", "name"));
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of("title", "Old", "New"), ActivityChange.Of("count", 1, 2)];
        for (var i = 0; i < 100; i++)
        {
            redactor.RedactChanges(changes, "user");
            redactor.RedactChanges(changes, "domain");
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            redactor.RedactChanges(changes, "user");
            redactor.RedactChanges(changes, "domain");
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }

    [Fact]
    public void Rewriters_apply_to_primitive_change_values()
    {
        var options = new ActivityRedactionOptions();
        options.Rewriters.Add((key, value) => key == "card_number" && value is string s ? "****" + s[^4..] : value);
        var redactor = new SensitiveFieldRedactor(options);
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of("card_number", "4111111111111111", "5500000000000004")];

        redactor.RedactChanges(changes, null).Should().Equal(ActivityChange.Of("card_number", "****1111", "****0004"));
    }

    [Fact]
    public void A_throwing_rewriter_masks_the_value_and_never_logs_it()
    {
        const string Secret = "4111-1111-1111-1111";
        var logger = new FakeLogger<SensitiveFieldRedactor>();
        var options = new ActivityRedactionOptions();
        options.Rewriters.Add((key, value) => key == "card" ? throw new InvalidOperationException($"cannot parse {value}") : value);
        var redactor = new SensitiveFieldRedactor(options, logger);
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of("card", null, Secret), ActivityChange.Of("note", "a", "b")];

        var act = () => redactor.RedactChanges(changes, null);

        act.Should().NotThrow().Which.Should().Equal(ActivityChange.Of("card", "[FILTERED]", "[FILTERED]"), ActivityChange.Of("note", "a", "b"));
        redactor.Redact(RedactionJson.Object($$"""{"card":"{{Secret}}"}""")).ShouldEqualJson("""{"card":"[FILTERED]"}""");
        logger.Collector.GetSnapshot().Should().NotBeEmpty().And.OnlyContain(record =>
            record.Level == LogLevel.Warning && record.Exception == null && !record.Message.Contains(Secret, StringComparison.Ordinal)
            && record.Message.Contains("card", StringComparison.Ordinal));
    }

    [Fact]
    public void Redact_context_masks_matching_keys_and_keeps_the_rest()
    {
        var options = new ActivityRedactionOptions();
        options.Filters.Add("ip_address");
        options.Rewriters.Add((key, value) => key == "user_agent" && value is string s ? s.Split(' ')[0] : value);
        var redactor = new SensitiveFieldRedactor(options);
        var context = new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0 (X11)", AuthMethod = "GitHub", CorrelationId = "abc" };

        var redacted = redactor.RedactContext(context, "user");

        redacted.Should().Be(new ActivityRequestContext { IpAddress = "[FILTERED]", UserAgent = "Mozilla/5.0", AuthMethod = "GitHub", CorrelationId = "abc" });
        context.IpAddress.Should().Be("203.0.113.7");
    }

    [Fact]
    public void Redact_context_returns_the_same_instance_when_nothing_is_sensitive()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        var context = new ActivityRequestContext { IpAddress = "203.0.113.7", AuthMethod = "GitHub" };

        redactor.RedactContext(context, "user").Should().BeSameAs(context);
        redactor.RedactContext(null, "user").Should().BeNull();
    }

    [Fact]
    public void Redact_context_applies_resource_type_rules()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions().FilterResourceFields("session", "correlation_id"));
        var context = new ActivityRequestContext { CorrelationId = "abc" };

        redactor.RedactContext(context, "session")!.CorrelationId.Should().Be("[FILTERED]");
        redactor.RedactContext(context, "user")!.CorrelationId.Should().Be("abc");
    }

    [Fact]
    public void Redact_metadata_masks_matching_keys_and_walks_nested_values()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        var metadata = new Dictionary<string, object?>
        {
            ["plan"] = "pro",
            ["api_token"] = "t0k3n",
            ["request"] = JsonNode.Parse("""{"password":"p","path":"/login"}"""),
            ["seats"] = 5,
        };

        var redacted = redactor.RedactMetadata(metadata, "user")!;

        redacted.Should().NotBeSameAs(metadata);
        redacted.Keys.Should().Equal("plan", "api_token", "request", "seats");
        redacted["plan"].Should().Be("pro");
        redacted["api_token"].Should().Be("[FILTERED]");
        ((JsonNode?)redacted["request"]).ShouldEqualJson("""{"password":"[FILTERED]","path":"/login"}""");
        redacted["seats"].Should().Be(5);
        metadata["api_token"].Should().Be("t0k3n");
    }

    [Fact]
    public void Redact_metadata_returns_the_same_instance_when_nothing_is_sensitive()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        IReadOnlyDictionary<string, object?> metadata = new Dictionary<string, object?> { ["plan"] = "pro", ["seats"] = 5 };

        redactor.RedactMetadata(metadata, "user").Should().BeSameAs(metadata);
        redactor.RedactMetadata(null, "user").Should().BeNull();
    }

    [Fact]
    public void Redact_value_copies_a_json_value_instead_of_changing_it()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        var value = JsonNode.Parse("""{"password":"p","name":"n"}""");

        var redacted = redactor.RedactValue("profile", value);

        ((JsonNode?)redacted).ShouldEqualJson("""{"password":"[FILTERED]","name":"n"}""");
        value.ShouldEqualJson("""{"password":"p","name":"n"}""");
    }

    [Fact]
    public void Redact_value_matches_a_dotted_key_against_dotted_filters()
    {
        var options = new ActivityRedactionOptions { UseDefaultFilters = false };
        options.Filters.Add("credit_card.code");
        var redactor = new SensitiveFieldRedactor(options);

        redactor.RedactValue("credit_card.code", "123").Should().Be("[FILTERED]");
        redactor.RedactValue("file.code", "abc").Should().Be("abc");
        ((JsonNode?)redactor.RedactValue("credit_card", JsonNode.Parse("""{"code":"123"}"""))).ShouldEqualJson("""{"code":"[FILTERED]"}""");
    }

    [Fact]
    public void Mask_comes_from_the_options()
    {
        new SensitiveFieldRedactor(new ActivityRedactionOptions()).Mask.Should().Be("[FILTERED]");
        new SensitiveFieldRedactor(new ActivityRedactionOptions { Mask = "***" }).Mask.Should().Be("***");
    }

    [Fact]
    public void Options_are_read_once_when_the_redactor_is_created()
    {
        var options = new ActivityRedactionOptions { UseDefaultFilters = false };
        var redactor = new SensitiveFieldRedactor(options);

        options.Filters.Add("name");

        redactor.RedactValue("name", "Jane").Should().Be("Jane");
    }

    [Fact]
    public void Is_safe_to_use_from_many_threads()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions().FilterResourceFields("user", "name"));
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of("name", "Jane", "Jane Doe"), ActivityChange.Of("title", "a", "b")];

        var results = Enumerable.Range(0, 2_000).AsParallel()
            .Select(i => redactor.RedactChanges(changes, i % 2 == 0 ? "user" : "domain"))
            .ToList();

        results.Where((_, i) => i % 2 == 0).Should().OnlyContain(r => Equals(r[0].To, "[FILTERED]") && Equals(r[1].To, "b"));
        results.Where((_, i) => i % 2 == 1).Should().OnlyContain(r => ReferenceEquals(r, changes));
    }
}

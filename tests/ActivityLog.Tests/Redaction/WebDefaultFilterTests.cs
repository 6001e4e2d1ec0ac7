using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ActivityLog.Redaction;

namespace ActivityLog.Tests.Redaction;

/// <summary>
/// The default list for web apps and the spelling normalisation of keys (issue 11, task 8): what is masked, what a log
/// reader still sees, and that Rails' own semantics survive the normalisation.
/// </summary>
public sealed class WebDefaultFilterTests
{
    private const string Secret = "s3cr3t-value";

    // Key, whether the default list masks it, and why (shown when a row fails).
    public static TheoryData<string, bool, string> DefaultKeys => new()
    {
        // One spelling of _key, five ways.
        { "apiKey", true, "camelCase boundary → api_key" },
        { "api-key", true, "dash → api_key" },
        { "API_KEY", true, "upper snake → api_key" },
        { "Api Key", true, "space and capitals → api_key" },
        { "api.key", true, "a dot inside one key → api_key" },
        { "X-Api-Key", true, "header spelling → x_api_key" },
        { "XApiKey", true, "acronym run then a word → x_api_key" },
        { "APIKey", true, "the last capital of a run starts a word → api_key" },
        { "privateKey", true, "private_key" },
        { "PrivateKey", true, "PascalCase, as EF Core captures properties" },
        { "clientSecret", true, "client_secret" },

        // The web additions.
        { "Authorization", true, "the header carries credentials" },
        { "Proxy-Authorization", true, "the proxy's credentials" },
        { "Cookie", true, "session cookies" },
        { "Set-Cookie", true, "set_cookie contains cookie" },
        { "bearer", true, "a bearer credential" },
        { "session_id", true, "a session id is a credential" },
        { "sessionToken", true, "session_token" },
        { "pwd", true, "a common abbreviation of password" },
        { "oldPwd", true, "old_pwd" },
        { "Passphrase", true, "passphrase is not covered by passw" },
        { "recoveryCodes", true, "recovery_codes" },
        { "backup-code", true, "backup_code" },
        { "refresh_token", true, "covered by token" },
        { "accessToken", true, "access_token, covered by token" },

        // Rails' own list still applies, now whatever the spelling.
        { "password_confirmation", true, "passw" },
        { "PasswordConfirmation", true, "passw, ignoring case" },
        { "userEmail", true, "email" },
        { "encryptedPayload", true, "crypt" },
        { "passwordSalt", true, "salt" },
        { "certificatePem", true, "certificate" },
        { "otpAttempt", true, "otp" },
        { "SSN", true, "ssn" },
        { "cardCvv", true, "cvv" },
        { "Cvc", true, "cvc" },

        // Known, documented costs of substring matching: masked although a reader might want them.
        { "MonKey", true, "mon_key: a capital inside a word is a boundary" },
        { "cookie_consent", true, "contains cookie" },
        { "session_timeout", true, "contains session" },
        { "total_tokens", true, "contains token (Rails)" },
        { "PWD", true, "the shell's working directory, spelled like a password" },
        { "authorization_code", true, "an OAuth code is a credential" },

        // What a log reader needs stays visible.
        { "monkey", false, "Rails: monkey does not contain _key" },
        { "Monkey", false, "one capital at the start is no boundary" },
        { "key", false, "_key needs something before it" },
        { "keyboard_layout", false, "key at the start of a word" },
        { "keyId", false, "key_id: key is the first word" },
        { "hotkey", false, "no boundary in one lowercase word" },
        { "cwd", false, "pwd is matched as a substring; cwd does not contain it" },
        { "upward_trend", false, "u-p-w-a: no pwd" },
        { "cookbook", false, "cook is not cookie" },
        { "author", false, "author is not authorization" },
        { "passenger_count", false, "pass is not passw" },
        { "description", false, "desc-ript is not crypt" },
        { "name", false, "an ordinary field" },
        { "plan", false, "an ordinary field" },
        { "ip_address", false, "context: shown on the page" },
        { "userAgent", false, "context: shown on the page" },
        { "auth_method", false, "context: auth is not authorization" },
        { "correlation_id", false, "context: a trace id is not a credential" },
    };

    [Fact]
    public void Default_list_is_rails_then_what_web_apps_leak_most()
    {
        SensitiveFieldRedactor.DefaultFilters.Should().Equal(
            "passw", "email", "secret", "token", "_key", "crypt", "salt", "certificate", "otp", "ssn", "cvv", "cvc",
            "authorization", "cookie", "bearer", "session", "pwd", "passphrase", "recovery_code", "backup_code",
            "private_key", "client_secret");
    }

    [Fact]
    public void The_table_has_at_least_forty_keys_of_both_kinds()
    {
        var rows = DefaultKeys.Select(row => (bool)row[1]).ToList();
        rows.Should().HaveCountGreaterThanOrEqualTo(40);
        rows.Should().Contain(true).And.Contain(false);
    }

    [Theory]
    [MemberData(nameof(DefaultKeys))]
    public void Default_list_decides_a_change_field(string key, bool masked, string because)
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of(key, "old-" + Secret, Secret)];

        var redacted = redactor.RedactChanges(changes, "user");

        redacted.Should().Equal(new[] { masked ? ActivityChange.Of(key, "[FILTERED]", "[FILTERED]") : changes[0] }, because);
    }

    [Theory]
    [MemberData(nameof(DefaultKeys))]
    public void Default_list_decides_a_metadata_entry(string key, bool masked, string because)
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        var metadata = new Dictionary<string, object?> { ["seats"] = 5, [key] = Secret };

        var redacted = redactor.RedactMetadata(metadata, "user")!;

        redacted[key].Should().Be(masked ? "[FILTERED]" : Secret, because);
        redacted["seats"].Should().Be(5);
    }

    [Theory]
    [MemberData(nameof(DefaultKeys))]
    public void Default_list_decides_keys_in_nested_objects_and_arrays(string key, bool masked, string because)
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        var leaf = masked ? "\"[FILTERED]\"" : $"\"{Secret}\"";
        var whole = masked ? "\"[FILTERED]\"" : """{"id":1}""";
        var from = new JsonObject { ["request"] = new JsonObject { ["headers"] = new JsonObject { [key] = Secret, ["Accept"] = "json" } } };
        var to = new JsonArray(new JsonObject { [key] = Secret }, new JsonObject { [key] = new JsonObject { ["id"] = 1 } });
        var metadata = new Dictionary<string, object?> { ["request"] = new JsonArray(new JsonArray(new JsonObject { [key] = Secret })) };

        var changes = redactor.RedactChanges([ActivityChange.Of("settings", from, to)], "user");
        var redactedMetadata = redactor.RedactMetadata(metadata, "user")!;

        ((JsonNode?)changes[0].From).ShouldEqualJson(Expected("""{"request":{"headers":{"@key":@leaf,"Accept":"json"}}}""", key, leaf, whole));
        ((JsonNode?)changes[0].To).ShouldEqualJson(Expected("""[{"@key":@leaf},{"@key":@whole}]""", key, leaf, whole));
        ((JsonNode?)redactedMetadata["request"]).ShouldEqualJson(Expected("""[[{"@key":@leaf}]]""", key, leaf, whole));
        _ = because;
    }

    [Fact]
    public void Default_list_keeps_the_context_a_log_reader_needs()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());
        var context = new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0", AuthMethod = "password", CorrelationId = "0af7651916cd43dd" };

        redactor.RedactContext(context, "user").Should().BeSameAs(context);
    }

    [Theory]
    [InlineData("IpAddress")]
    [InlineData("ip-address")]
    [InlineData("IP Address")]
    public void A_filter_spelled_another_way_masks_a_context_key(string filter)
    {
        var options = new ActivityRedactionOptions();
        options.Filters.Add(filter);
        var redactor = new SensitiveFieldRedactor(options);
        var context = new ActivityRequestContext { IpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0" };

        redactor.RedactContext(context, "user").Should().Be(new ActivityRequestContext { IpAddress = "[FILTERED]", UserAgent = "Mozilla/5.0" });
    }

    [Theory]
    [InlineData("apikey", "apiKey")]
    [InlineData("apiKey", "api_key")]
    [InlineData("api-key", "API KEY")]
    public void A_filter_matches_as_written_like_rails_and_normalised(string filter, string key)
    {
        var redactor = Redactor(filter);

        redactor.RedactValue(key, Secret).Should().Be("[FILTERED]");
        redactor.RedactValue("api", Secret).Should().Be(Secret);
    }

    [Fact]
    public void Rails_monkey_stays_visible_with_the_defaults()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());

        redactor.Redact(RedactionJson.Object("""{"monkey":"george","api_key":"k"}"""))
            .ShouldEqualJson("""{"monkey":"george","api_key":"[FILTERED]"}""");
    }

    [Fact]
    public void Rails_passw_masks_password_confirmation_in_every_spelling()
    {
        var redactor = Redactor("passw");

        redactor.Redact(RedactionJson.Object("""{"password_confirmation":"a","passwordConfirmation":"b","Password-Confirmation":"c","pass":"d"}"""))
            .ShouldEqualJson("""{"password_confirmation":"[FILTERED]","passwordConfirmation":"[FILTERED]","Password-Confirmation":"[FILTERED]","pass":"d"}""");
    }

    [Fact]
    public void Rails_dotted_filter_still_matches_full_paths_only()
    {
        var redactor = Redactor("credit_card.code");

        redactor.Redact(RedactionJson.Object(
                """{"credit_card":{"code":"1"},"creditCard":{"Code":"2"},"Credit-Card":[{"code":"3"}],"file":{"code":"4"},"code":"5","credit_card_code":"6"}"""))
            .ShouldEqualJson(
                """{"credit_card":{"code":"[FILTERED]"},"creditCard":{"Code":"[FILTERED]"},"Credit-Card":[{"code":"[FILTERED]"}],"file":{"code":"4"},"code":"5","credit_card_code":"6"}""");
    }

    [Fact]
    public void Rails_regex_filter_still_matches_the_key_as_written()
    {
        var options = new ActivityRedactionOptions { UseDefaultFilters = false };
        options.Filters.Add("/^api_key$/");
        options.Patterns.Add(new Regex("^pinCode$"));
        var redactor = new SensitiveFieldRedactor(options);

        redactor.Redact(RedactionJson.Object("""{"api_key":"1","apiKey":"2","API-KEY":"3","pinCode":"4","pin_code":"5"}"""))
            .ShouldEqualJson("""{"api_key":"[FILTERED]","apiKey":"2","API-KEY":"3","pinCode":"[FILTERED]","pin_code":"5"}""");
    }

    [Fact]
    public void Normalising_keys_allocates_nothing_even_when_the_decision_cache_is_full()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions());

        // Fill the per-key decision cache (10,000 keys), so the keys below are normalised and matched on every call.
        for (var i = 0; i < 10_050; i++)
        {
            redactor.RedactValue("field_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), 1);
        }

        IReadOnlyList<ActivityChange> changes =
        [
            ActivityChange.Of("display_title", "Old", "New"),
            ActivityChange.Of("seatCount", 1, 2),
            ActivityChange.Of("Billing-Plan Name", "a", "b"),
        ];
        var unchanged = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            unchanged += ReferenceEquals(redactor.RedactChanges(changes, "user"), changes) ? 1 : 0;
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
        unchanged.Should().Be(1_000);
    }

    private static string Expected(string template, string key, string leaf, string whole) =>
        template.Replace("@key", key, StringComparison.Ordinal).Replace("@leaf", leaf, StringComparison.Ordinal).Replace("@whole", whole, StringComparison.Ordinal);

    private static SensitiveFieldRedactor Redactor(params string[] filters)
    {
        var options = new ActivityRedactionOptions { UseDefaultFilters = false };
        foreach (var filter in filters)
        {
            options.Filters.Add(filter);
        }

        return new SensitiveFieldRedactor(options);
    }
}

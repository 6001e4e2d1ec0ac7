using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ActivityLog.Redaction;

namespace ActivityLog.Tests.Redaction;

/// <summary>
/// The behaviours of Rails' own <c>activesupport/test/parameter_filter_test.rb</c>, ported case by case: the redactor
/// must do what <c>ActiveSupport::ParameterFilter</c> does, so teams coming from Rails get what they expect.
/// </summary>
public sealed class RailsParameterFilterTests
{
    // Before, after, filters. "/foo/" is the configuration spelling of the Ruby regexp /foo/.
    public static TheoryData<string, string, string[]> ProcessParameterFilterCases => new()
    {
        { """{"foo":"bar"}""", """{"foo":"bar"}""", ["food"] },
        { """{"foo":"bar"}""", """{"foo":"[FILTERED]"}""", ["foo"] },
        { """{"foo":"bar","bar":"foo"}""", """{"foo":"[FILTERED]","bar":"foo"}""", ["foo", "baz"] },
        { """{"foo":"bar","baz":"foo"}""", """{"foo":"[FILTERED]","baz":"[FILTERED]"}""", ["foo", "baz"] },
        { """{"bar":{"foo":"bar","bar":"foo"}}""", """{"bar":{"foo":"[FILTERED]","bar":"foo"}}""", ["fo"] },
        { """{"foo":{"foo":"bar","bar":"foo"}}""", """{"foo":"[FILTERED]"}""", ["f", "banana"] },
        {
            """{"deep":{"cc":{"code":"bar","bar":"foo"},"ss":{"code":"bar"}}}""",
            """{"deep":{"cc":{"code":"[FILTERED]","bar":"foo"},"ss":{"code":"bar"}}}""",
            ["deep.cc.code"]
        },
        { """{"baz":[{"foo":"baz"},"1"]}""", """{"baz":[{"foo":"[FILTERED]"},"1"]}""", ["/foo/"] },
    };

    [Theory]
    [MemberData(nameof(ProcessParameterFilterCases))]
    public void Filters_keys_like_rails(string before, string after, string[] filters)
    {
        var redactor = Redactor(filters);

        redactor.Redact(RedactionJson.Object(before)).ShouldEqualJson(after);
    }

    [Theory]
    [MemberData(nameof(ProcessParameterFilterCases))]
    public void Runs_rewriters_on_unmasked_leaves_only_like_rails(string before, string after, string[] filters)
    {
        var options = Options([.. filters, "blah"]);
        options.Rewriters.Add((key, value) => Regex.IsMatch(key, "bargain") && value is string s ? new string(s.Reverse().ToArray()) : value);
        options.Rewriters.Add((key, value) => key == "array_elements" && value is string s ? s.ToUpperInvariant() : value);
        var redactor = new SensitiveFieldRedactor(options);

        var input = RedactionJson.Object(before);
        input["barg"] = JsonNode.Parse("""{"bargain":"gain","blah":"bar","bar":{"bargain":{"blah":"foo","hello":"world"}}}""");
        input["array_elements"] = JsonNode.Parse("""["element1","element2"]""");
        var expected = RedactionJson.Object(after);
        expected["barg"] = JsonNode.Parse("""{"bargain":"niag","blah":"[FILTERED]","bar":{"bargain":{"blah":"[FILTERED]","hello":"world"}}}""");
        expected["array_elements"] = JsonNode.Parse("""["ELEMENT1","ELEMENT2"]""");

        redactor.Redact(input).ShouldEqualJson(expected.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(ProcessParameterFilterCases))]
    public void Uses_the_configured_mask(string before, string after, string[] filters)
    {
        var options = Options(filters);
        options.Mask = "<hidden>";
        var redactor = new SensitiveFieldRedactor(options);

        redactor.Redact(RedactionJson.Object(before)).ShouldEqualJson(after.Replace("[FILTERED]", "<hidden>", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("food")]
    [InlineData("baz.foo")]
    [InlineData("barbar")]
    public void Filter_param_masks_a_matching_key(string key)
    {
        var redactor = Redactor("foo", "/bar/");

        redactor.RedactValue(key, "secret vlaue").Should().Be("[FILTERED]");
    }

    [Fact]
    public void Filter_param_keeps_a_value_whose_key_does_not_match()
    {
        var redactor = Redactor("foo", "/bar/");

        redactor.RedactValue("baz", "non secret value").Should().Be("non secret value");
    }

    [Theory]
    [InlineData("food")]
    [InlineData("baz.foo")]
    [InlineData("barbar")]
    public void Filter_param_returns_the_configured_mask(string key)
    {
        var options = Options("foo", "/bar/");
        options.Mask = "<hidden>";
        var redactor = new SensitiveFieldRedactor(options);

        redactor.RedactValue(key, "secret vlaue").Should().Be("<hidden>");
        redactor.RedactValue("baz", "non secret value").Should().Be("non secret value");
    }

    [Fact]
    public void Filter_param_works_with_empty_filters()
    {
        var redactor = Redactor();

        redactor.RedactValue("foo", "bar").Should().Be("bar");
    }

    [Fact]
    public void Filter_with_empty_filters_returns_an_equal_copy()
    {
        var redactor = Redactor();
        var input = RedactionJson.Object("""{"foo":"bar","password":"x"}""");

        var result = redactor.Redact(input);

        result.Should().NotBeSameAs(input);
        result.ShouldEqualJson("""{"foo":"bar","password":"x"}""");
    }

    [Theory]
    [InlineData("13", """{"13":"[FILTERED]","14":{"13":"[FILTERED]"},"7":"x"}""")]
    [InlineData("1", """{"13":"[FILTERED]","14":"[FILTERED]","7":"x"}""")]
    [InlineData("14.13", """{"13":"a","14":{"13":"[FILTERED]"},"7":"x"}""")]
    public void Filters_integer_like_keys(string filter, string expected)
    {
        var redactor = Redactor(filter);

        redactor.Redact(RedactionJson.Object("""{"13":"a","14":{"13":"b"},"7":"x"}""")).ShouldEqualJson(expected);
    }

    [Theory]
    [InlineData("""{"secret":{"a":1,"b":[1,2]}}""", """{"secret":"[FILTERED]"}""")]
    [InlineData("""{"secret":[{"a":1},"x"]}""", """{"secret":"[FILTERED]"}""")]
    [InlineData("""{"secret":null}""", """{"secret":"[FILTERED]"}""")]
    [InlineData("""{"secret":42}""", """{"secret":"[FILTERED]"}""")]
    [InlineData("""{"secret":false}""", """{"secret":"[FILTERED]"}""")]
    public void Masks_the_whole_value_whatever_it_is(string before, string after)
    {
        Redactor("secret").Redact(RedactionJson.Object(before)).ShouldEqualJson(after);
    }

    [Fact]
    public void A_rewriter_never_sees_a_value_below_a_masked_key()
    {
        var seen = new List<string>();
        var options = Options("secret");
        options.Rewriters.Add((key, value) =>
        {
            seen.Add(key);
            return value;
        });

        new SensitiveFieldRedactor(options).Redact(RedactionJson.Object("""{"secret":{"inner":"x"},"plain":"y"}"""));

        seen.Should().Equal("plain");
    }

    [Fact]
    public void A_rewriter_can_keep_the_last_four_digits()
    {
        var options = Options();
        options.Rewriters.Add((key, value) => key.Contains("card_number", StringComparison.Ordinal) && value is not null
            ? KeepLastFour(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!)
            : value);
        var redactor = new SensitiveFieldRedactor(options);

        redactor.Redact(RedactionJson.Object("""{"card_number":"4111111111111111","order":{"card_number":5500000000000004,"total":12.5}}"""))
            .ShouldEqualJson("""{"card_number":"************1111","order":{"card_number":"************0004","total":12.5}}""");
    }

    [Fact]
    public void Rewriters_receive_clr_primitives_for_json_leaves()
    {
        var seen = new Dictionary<string, object?>();
        var options = Options();
        options.Rewriters.Add((key, value) =>
        {
            seen[key] = value;
            return value;
        });

        var input = RedactionJson.Object("""{"s":"text","i":42,"d":1.5,"t":true,"n":null}""");
        var result = new SensitiveFieldRedactor(options).Redact(input);

        seen.Should().BeEquivalentTo(new Dictionary<string, object?> { ["s"] = "text", ["i"] = 42L, ["d"] = 1.5m, ["t"] = true, ["n"] = null });
        result.ShouldEqualJson("""{"s":"text","i":42,"d":1.5,"t":true,"n":null}""");
    }

    [Fact]
    public void Filter_leaves_its_input_untouched()
    {
        const string Json = """{"password":"p","nested":{"token":"t","list":[{"secret":"s"}]}}""";
        var input = RedactionJson.Object(Json);

        var result = new SensitiveFieldRedactor(new ActivityRedactionOptions()).Redact(input);

        input.ShouldEqualJson(Json);
        result.ShouldEqualJson("""{"password":"[FILTERED]","nested":{"token":"[FILTERED]","list":[{"secret":"[FILTERED]"}]}}""");
    }

    [Fact]
    public void Dotted_filter_matches_the_path_not_a_key_of_the_same_name_elsewhere()
    {
        var redactor = Redactor("credit_card.code");

        redactor.Redact(RedactionJson.Object("""{"credit_card":{"code":"123","number":"4111"},"file":{"code":"abc"}}"""))
            .ShouldEqualJson("""{"credit_card":{"code":"[FILTERED]","number":"4111"},"file":{"code":"abc"}}""");
    }

    [Fact]
    public void Dotted_filter_is_case_insensitive_and_reaches_through_arrays()
    {
        var redactor = Redactor("credit_card.code");

        redactor.Redact(RedactionJson.Object("""{"Credit_Card":[{"Code":"1"},{"code":"2","other":"x"}]}"""))
            .ShouldEqualJson("""{"Credit_Card":[{"Code":"[FILTERED]"},{"code":"[FILTERED]","other":"x"}]}""");
    }

    [Fact]
    public void Regex_with_an_escaped_dot_matches_the_path()
    {
        var options = Options();
        options.Patterns.Add(new Regex(@"^user\.ssn_\d+$"));
        var redactor = new SensitiveFieldRedactor(options);

        redactor.Redact(RedactionJson.Object("""{"user":{"ssn_1":"a","ssn_x":"b"},"ssn_2":"c"}"""))
            .ShouldEqualJson("""{"user":{"ssn_1":"[FILTERED]","ssn_x":"b"},"ssn_2":"c"}""");
    }

    [Fact]
    public void Regex_filter_matches_the_key_as_written()
    {
        var options = Options();
        options.Patterns.Add(new Regex("^Pin$"));
        var redactor = new SensitiveFieldRedactor(options);

        redactor.Redact(RedactionJson.Object("""{"Pin":"1","pin":"2","Pins":"3"}"""))
            .ShouldEqualJson("""{"Pin":"[FILTERED]","pin":"2","Pins":"3"}""");
    }

    [Fact]
    public void Plain_filter_matches_any_key_containing_it_ignoring_case()
    {
        var redactor = Redactor("passw");

        redactor.Redact(RedactionJson.Object("""{"password_confirmation":"a","PASSWORD":"b","pass":"c"}"""))
            .ShouldEqualJson("""{"password_confirmation":"[FILTERED]","PASSWORD":"[FILTERED]","pass":"c"}""");
    }

    [Fact]
    public void Array_elements_are_checked_under_the_parent_key_at_any_depth()
    {
        var options = Options("profile.secret");
        options.Rewriters.Add((key, value) => key == "tags" && value is string s ? s.ToUpperInvariant() : value);
        var redactor = new SensitiveFieldRedactor(options);

        redactor.Redact(RedactionJson.Object("""{"tags":["a",["b",{"c":"d"}]],"profile":[[{"secret":"s","x":"y"}]]}"""))
            .ShouldEqualJson("""{"tags":["A",["B",{"c":"d"}]],"profile":[[{"secret":"[FILTERED]","x":"y"}]]}""");
    }

    private static SensitiveFieldRedactor Redactor(params string[] filters) => new(Options(filters));

    private static ActivityRedactionOptions Options(params string[] filters)
    {
        var options = new ActivityRedactionOptions { UseDefaultFilters = false };
        foreach (var filter in filters)
        {
            options.Filters.Add(filter);
        }

        return options;
    }

    private static string KeepLastFour(string digits) =>
        digits.Length <= 4 ? digits : new string('*', digits.Length - 4) + digits[^4..];
}

using System.Text.RegularExpressions;
using ActivityLog.Redaction;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ActivityLog.Tests.Redaction;

public sealed class ActivityRedactionOptionsTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Redaction:UseDefaultFilters"] = "false",
        ["Redaction:Mask"] = "***",
        ["Redaction:Filters:0"] = "iban",
        ["Redaction:Filters:1"] = @"/^card_\d+$/i",
        ["Redaction:Filters:2"] = "billing.zip",
        ["Redaction:ResourceTypeFilters:user:0"] = "name",
        ["Redaction:ResourceTypeFilters:user:1"] = "profile.bio",
        ["Redaction:ResourceTypeFilters:domain:0"] = "/^dns$/",
    };

    [Fact]
    public void Has_documented_defaults()
    {
        var options = new ActivityRedactionOptions();

        options.UseDefaultFilters.Should().BeTrue();
        options.Mask.Should().Be("[FILTERED]");
        options.Filters.Should().BeEmpty();
        options.Patterns.Should().BeEmpty();
        options.Rewriters.Should().BeEmpty();
        options.ResourceTypeFilters.Should().BeEmpty();
    }

    [Fact]
    public void Binds_from_configuration()
    {
        var options = new ActivityRedactionOptions();

        Configuration().GetSection("Redaction").Bind(options);

        options.UseDefaultFilters.Should().BeFalse();
        options.Mask.Should().Be("***");
        options.Filters.Should().Equal("iban", @"/^card_\d+$/i", "billing.zip");
        options.ResourceTypeFilters.Keys.Should().BeEquivalentTo(["user", "domain"]);
        options.ResourceTypeFilters["user"].Should().Equal("name", "profile.bio");
        options.ResourceTypeFilters["domain"].Should().Equal("/^dns$/");
    }

    [Fact]
    public void Bound_options_redact_as_configured()
    {
        var services = new ServiceCollection();
        services.AddOptions<ActivityRedactionOptions>().Bind(Configuration().GetSection("Redaction"));
        using var provider = services.BuildServiceProvider();
        var redactor = new SensitiveFieldRedactor(provider.GetRequiredService<IOptions<ActivityRedactionOptions>>().Value);

        redactor.RedactValue("customer_iban", "NO93").Should().Be("***");
        redactor.RedactValue("CARD_12", "4111").Should().Be("***", "/…/i is case-insensitive");
        redactor.RedactValue("card_x", "4111").Should().Be("4111");
        redactor.RedactValue("password", "p").Should().Be("p", "the default list is turned off");
        redactor.Redact(RedactionJson.Object("""{"billing":{"zip":"0150"},"shipping":{"zip":"0151"}}"""))
            .ShouldEqualJson("""{"billing":{"zip":"***"},"shipping":{"zip":"0151"}}""");
        redactor.RedactValue("name", "Jane", "user").Should().Be("***");
        redactor.Redact(RedactionJson.Object("""{"profile":{"bio":"b","age":3}}"""), "user").ShouldEqualJson("""{"profile":{"bio":"***","age":3}}""");
        redactor.RedactValue("name", "Jane", "domain").Should().Be("Jane");
        redactor.RedactValue("dns", "ns1", "domain").Should().Be("***");
        redactor.RedactValue("DNS", "ns1", "domain").Should().Be("ns1", "/…/ without i is case-sensitive");
    }

    [Fact]
    public void Binding_adds_to_filters_configured_in_code()
    {
        var options = new ActivityRedactionOptions().FilterResourceFields("user", "nickname");
        options.Filters.Add("pin");

        Configuration().GetSection("Redaction").Bind(options);

        options.Filters.Should().Contain(["pin", "iban"]);
        options.ResourceTypeFilters["user"].Should().Contain(["nickname", "name"]);
    }

    [Theory]
    [InlineData("/[unclosed/")]
    [InlineData("/(?<oops/i")]
    public void An_invalid_regex_filter_fails_at_construction_naming_the_filter(string filter)
    {
        var options = new ActivityRedactionOptions();
        options.Filters.Add(filter);

        var act = () => new SensitiveFieldRedactor(options);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain(filter);
    }

    [Fact]
    public void An_invalid_resource_type_regex_fails_at_construction()
    {
        var options = new ActivityRedactionOptions().FilterResourceFields("user", "/a{2,1}/");

        var act = () => new SensitiveFieldRedactor(options);

        act.Should().Throw<ArgumentException>().WithMessage("*/a{2,1}/*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("//i")]
    public void An_empty_filter_fails_at_construction(string filter)
    {
        var options = new ActivityRedactionOptions();
        options.Filters.Add(filter);

        var act = () => new SensitiveFieldRedactor(options);

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void A_null_mask_fails_at_construction()
    {
        var act = () => new SensitiveFieldRedactor(new ActivityRedactionOptions { Mask = null! });

        act.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void A_null_pattern_or_rewriter_fails_at_construction()
    {
        var withNullPattern = new ActivityRedactionOptions();
        withNullPattern.Patterns.Add(null!);
        var withNullRewriter = new ActivityRedactionOptions();
        withNullRewriter.Rewriters.Add(null!);

        ((Action)(() => _ = new SensitiveFieldRedactor(withNullPattern))).Should().Throw<ArgumentException>();
        ((Action)(() => _ = new SensitiveFieldRedactor(withNullRewriter))).Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("/api/")]
    [InlineData("/API/i")]
    public void Slash_delimited_filters_are_regular_expressions(string filter)
    {
        var options = new ActivityRedactionOptions { UseDefaultFilters = false };
        options.Filters.Add(filter);
        var redactor = new SensitiveFieldRedactor(options);

        redactor.RedactValue("api", "x").Should().Be("[FILTERED]");
        redactor.RedactValue("/api/", "x").Should().Be("[FILTERED]");
    }

    [Fact]
    public void Filter_resource_fields_is_fluent_and_accumulates()
    {
        var options = new ActivityRedactionOptions();
        options.ResourceTypeFilters["user"] = ["name"];

        options.FilterResourceFields("user", "bio").FilterResourceFields("domain", "dns").Should().BeSameAs(options);

        options.ResourceTypeFilters["user"].Should().Equal("name", "bio");
        options.ResourceTypeFilters["domain"].Should().Equal("dns");
    }

    [Fact]
    public void Filter_resource_fields_rejects_empty_arguments()
    {
        var options = new ActivityRedactionOptions();

        ((Action)(() => options.FilterResourceFields("", "name"))).Should().Throw<ArgumentException>();
        ((Action)(() => options.FilterResourceFields("user", ""))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Regex_patterns_in_code_keep_their_own_case_rules()
    {
        var options = new ActivityRedactionOptions { UseDefaultFilters = false };
        options.Patterns.Add(new Regex("^Pin$", RegexOptions.IgnoreCase));
        var redactor = new SensitiveFieldRedactor(options);

        redactor.RedactValue("PIN", "1234").Should().Be("[FILTERED]");
        redactor.RedactValue("pins", "1234").Should().Be("1234");
    }

    private static IConfiguration Configuration() => new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
}

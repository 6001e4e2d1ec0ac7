using System.Reflection;
using ActivityLog.Redaction;
using Microsoft.Extensions.Compliance.Classification;

namespace ActivityLog.Tests.Redaction;

public sealed class SensitivePropertiesTests
{
    [Theory]
    [InlineData(nameof(SensitiveTestUser.Email), true)]
    [InlineData(nameof(SensitiveTestUser.PhoneNumber), true)]
    [InlineData(nameof(SensitiveTestUser.TaxId), true)]
    [InlineData(nameof(SensitiveTestUser.Id), false)]
    [InlineData(nameof(SensitiveTestUser.DisplayName), false)]
    [InlineData(nameof(SensitiveTestUser.Nickname), false)]
    public void Is_sensitive_recognises_our_attribute_and_data_classifications(string member, bool expected)
    {
        var info = typeof(SensitiveTestUser).GetMember(member).Single();

        SensitiveMembers.IsSensitive(info).Should().Be(expected);
    }

    [Fact]
    public void Is_sensitive_sees_attributes_on_an_overridden_property()
    {
        var property = typeof(DerivedTestUser).GetProperty(nameof(DerivedTestUser.Pin))!;

        SensitiveMembers.IsSensitive(property).Should().BeTrue();
    }

    [Theory]
    [InlineData("Email")]
    [InlineData("email")]
    [InlineData("EMAIL")]
    [InlineData("PhoneNumber")]
    [InlineData("phone_number")]
    [InlineData("TaxId")]
    [InlineData("tax_id")]
    public void Add_sensitive_properties_masks_marked_members_as_written_and_in_snake_case(string field)
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions { UseDefaultFilters = false }
            .AddSensitiveProperties<SensitiveTestUser>("user"));
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of(field, "old", "new")];

        redactor.RedactChanges(changes, "user").Should().Equal(ActivityChange.Of(field, "[FILTERED]", "[FILTERED]"));
    }

    [Theory]
    [InlineData("Id")]
    [InlineData("id")]
    [InlineData("DisplayName")]
    [InlineData("Nickname")]
    [InlineData("work_email")]
    [InlineData("phone_number_2")]
    public void Add_sensitive_properties_leaves_other_fields_alone(string field)
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions { UseDefaultFilters = false }
            .AddSensitiveProperties<SensitiveTestUser>("user"));
        IReadOnlyList<ActivityChange> changes = [ActivityChange.Of(field, "old", "new")];

        redactor.RedactChanges(changes, "user").Should().BeSameAs(changes);
    }

    [Fact]
    public void Add_sensitive_properties_is_scoped_to_the_resource_type()
    {
        var redactor = new SensitiveFieldRedactor(new ActivityRedactionOptions { UseDefaultFilters = false }
            .AddSensitiveProperties<SensitiveTestUser>("user"));

        redactor.RedactValue("PhoneNumber", "+47 1234", "user").Should().Be("[FILTERED]");
        redactor.RedactValue("PhoneNumber", "+47 1234", "domain").Should().Be("+47 1234");
    }

    [Fact]
    public void Add_sensitive_properties_writes_exact_rules_that_show_in_the_options()
    {
        var options = new ActivityRedactionOptions().AddSensitiveProperties<SensitiveTestUser>("user");

        options.ResourceTypeFilters["user"].Should().BeEquivalentTo(
            [@"/^(?:Email)\z/i", @"/^(?:PhoneNumber|phone_number)\z/i", @"/^(?:TaxId|tax_id)\z/i", @"/^(?:Pin)\z/i"]);
    }
}

/// <summary>A test entity with members marked in every supported way.</summary>
public class SensitiveTestUser
{
    public int Id { get; set; }

    public string? DisplayName { get; set; }

    [SensitiveData]
    public string? Email { get; set; }

    [TestPii]
    public string? PhoneNumber { get; set; }

    [UnknownDataClassification]
    public string? TaxId { get; set; }

    // Explicitly not classified: not sensitive.
    [NoDataClassification]
    public string? Nickname { get; set; }

    [SensitiveData]
    public virtual string? Pin { get; set; }
}

public sealed class DerivedTestUser : SensitiveTestUser
{
    public override string? Pin { get; set; }
}

/// <summary>A host's own classification, as apps using Microsoft.Extensions.Compliance define them.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TestPiiAttribute : DataClassificationAttribute
{
    public TestPiiAttribute()
        : base(new DataClassification("TestTaxonomy", "PII"))
    {
    }
}

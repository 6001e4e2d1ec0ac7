using System.Globalization;
using ActivityLog.Formatting;

namespace ActivityLog.Tests.Formatting;

/// <summary>Descriptions and sentences (DESIGN §4): the seed's six sentences, defaults, cultures and template parsing.</summary>
public sealed class ActivityDescriptionFormatterTests
{
    private static readonly ActivityActor JohnDoe = ActivityActor.User(42, "John Doe");

    private static ActivityDescriptionFormatter Formatter(Action<ActivityDescriptionOptions>? configure = null)
    {
        var options = new ActivityDescriptionOptions();
        configure?.Invoke(options);
        return new ActivityDescriptionFormatter(options);
    }

    private static ActivityLogEvent Event(
        string name,
        ActivityActor actor = default,
        ActivityResource? resource = null,
        ActivityResource[]? related = null,
        ActivityRequestContext? context = null,
        string? description = null) => new()
        {
            Name = name,
            Actor = actor,
            Resource = resource,
            RelatedResources = related ?? [],
            Context = context,
            Description = description,
        };

    // ---- The seed's six sentences ----

    [Fact]
    public void Seed_1_domain_added_without_a_name_uses_the_built_in_default()
    {
        var sentence = Formatter().FormatSentence(
            Event("activity_log.domain.added", JohnDoe, new ActivityResource("domain", "7")));

        sentence.Should().Be("John Doe added a domain.");
    }

    [Fact]
    public void Seed_2_field_created_with_a_name_uses_the_built_in_default()
    {
        var sentence = Formatter().FormatSentence(
            Event("activity_log.field.created", JohnDoe, new ActivityResource("field", "12", "First Name")));

        sentence.Should().Be("John Doe created the field First Name.");
    }

    [Fact]
    public void Seed_3_sandbox_deleted_uses_its_template()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.sandbox.deleted", "deleted a sandbox {resource.name}"));

        var sentence = formatter.FormatSentence(
            Event("activity_log.sandbox.deleted", JohnDoe, new ActivityResource("sandbox", 3, "QA")));

        sentence.Should().Be("John Doe deleted a sandbox QA.");
    }

    [Fact]
    public void Seed_4_user_invited_uses_its_template()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.user.invited", "invited the user {resource.name} to the account"));

        var sentence = formatter.FormatSentence(
            Event("activity_log.user.invited", JohnDoe, new ActivityResource("user", 99, "email@example.com")));

        sentence.Should().Be("John Doe invited the user email@example.com to the account.");
    }

    [Fact]
    public void Seed_5_unknown_actor_login_attempt_reads_someone_and_the_auth_method()
    {
        var formatter = Formatter(o => o.AddTemplate(
            "activity_log.user.login_attempted", "attempted to log in to the user {resource.name} using {context.auth_method}"));

        var sentence = formatter.FormatSentence(Event(
            "activity_log.user.login_attempted",
            ActivityActor.Unknown,
            new ActivityResource("user", 42, "John Doe"),
            context: new ActivityRequestContext { AuthMethod = "GitHub" }));

        sentence.Should().Be("Someone attempted to log in to the user John Doe using GitHub.");
    }

    [Fact]
    public void Seed_6_webhook_removed_names_the_related_resource()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.webhook.removed", "removed the webhook {resource.name} from {related.name}"));

        var sentence = formatter.FormatSentence(Event(
            "activity_log.webhook.removed",
            JohnDoe,
            new ActivityResource("webhook", 5, "Logging"),
            [new ActivityResource("sending_stream", 8, "Transactional")]));

        sentence.Should().Be("John Doe removed the webhook Logging from Transactional.");
    }

    [Fact]
    public void Seed_payload_description_is_the_predicate_without_actor_or_full_stop()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.user.updated", "updated the user profile"));

        var description = formatter.Describe(
            Event("activity_log.user.updated", ActivityActor.User(783, "Jane Doe"), new ActivityResource("user", 783, "Jane Doe")));

        description.Should().Be("updated the user profile");
    }

    // ---- Built-in defaults and fallbacks ----

    [Theory]
    [InlineData("activity_log.webhook.created", "Logging", "created the webhook Logging")]
    [InlineData("activity_log.webhook.updated", "Logging", "updated the webhook Logging")]
    [InlineData("activity_log.webhook.deleted", "Logging", "deleted the webhook Logging")]
    [InlineData("activity_log.webhook.created", null, "created a webhook")]
    [InlineData("activity_log.webhook.updated", null, "updated a webhook")]
    [InlineData("activity_log.webhook.deleted", null, "deleted a webhook")]
    public void Default_templates_cover_created_updated_and_deleted(string eventName, string? resourceName, string expected)
    {
        var description = Formatter().Describe(Event(eventName, JohnDoe, new ActivityResource("webhook", "1", resourceName)));

        description.Should().Be(expected);
    }

    [Fact]
    public void Default_template_humanizes_underscores_in_resource_type_and_verb()
    {
        var description = Formatter().Describe(
            Event("activity_log.sending_domain.dns_verified", JohnDoe, new ActivityResource("sending_domain", "1", "example.com")));

        description.Should().Be("dns verified the sending domain example.com");
    }

    [Fact]
    public void Unknown_verb_gets_a_readable_fallback_without_throwing()
    {
        var formatter = Formatter();
        var activity = Event("activity_log.api_key.rotated", JohnDoe, new ActivityResource("api_key", "1", "Production"));

        var act = () => formatter.FormatSentence(activity);

        act.Should().NotThrow();
        formatter.FormatSentence(activity).Should().Be("John Doe rotated the api key Production.");
    }

    [Theory]
    [InlineData("weird")]
    [InlineData("")]
    [InlineData("a.")]
    [InlineData(".")]
    [InlineData("x..y")]
    public void Fallback_never_throws_even_for_a_malformed_stored_event_name(string name)
    {
        var formatter = Formatter();

        var act = () => formatter.FormatSentence(Event(name));

        act.Should().NotThrow();
    }

    [Fact]
    public void Event_without_resource_falls_back_to_the_nameless_default()
    {
        Formatter().Describe(Event("activity_log.session.started", JohnDoe)).Should().Be("started a session");
    }

    [Fact]
    public void Stored_description_is_used_when_no_template_exists()
    {
        var activity = Event(
            "activity_log.webhook.removed", JohnDoe, new ActivityResource("webhook", "5", "Logging"),
            description: "removed the webhook Logging from Transactional");

        var formatter = Formatter();

        formatter.Describe(activity).Should().Be("removed the webhook Logging from Transactional");
        formatter.FormatSentence(activity).Should().Be("John Doe removed the webhook Logging from Transactional.");
    }

    [Fact]
    public void Template_wins_over_stored_description_in_Describe()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.webhook.removed", "removed {resource.name}"));

        var description = formatter.Describe(Event(
            "activity_log.webhook.removed", JohnDoe, new ActivityResource("webhook", "5", "Logging"), description: "stale text"));

        description.Should().Be("removed Logging");
    }

    [Fact]
    public void Sentence_does_not_double_a_trailing_full_stop()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.user.signed_out", "signed out."));

        formatter.FormatSentence(Event("activity_log.user.signed_out", JohnDoe)).Should().Be("John Doe signed out.");
    }

    // ---- Actors ----

    [Fact]
    public void Actor_without_a_name_reads_someone()
    {
        var formatter = Formatter();

        formatter.FormatSentence(Event("activity_log.domain.added", ActivityActor.User(1, null))).Should().Be("Someone added a domain.");
        formatter.FormatSentence(Event("activity_log.domain.added", ActivityActor.User(1, ""))).Should().Be("Someone added a domain.");
    }

    [Fact]
    public void System_actor_reads_its_name()
    {
        Formatter().FormatSentence(Event("activity_log.domain.added", ActivityActor.System("Nightly cleanup")))
            .Should().Be("Nightly cleanup added a domain.");
    }

    [Fact]
    public void Unknown_actor_name_can_be_configured()
    {
        var formatter = Formatter(o => o.UnknownActorName = "An anonymous visitor");

        formatter.FormatSentence(Event("activity_log.domain.added")).Should().Be("An anonymous visitor added a domain.");
    }

    [Fact]
    public void Unknown_actor_name_is_chosen_per_culture_with_parent_fallback()
    {
        var formatter = Formatter(o =>
        {
            o.UnknownActorNames["de"] = "Jemand";
            o.UnknownActorNames["fr-CA"] = "Quelqu'un";
            o.AddTemplate("activity_log.domain.added", "hat eine Domain hinzugefügt", "de");
            o.AddTemplate("activity_log.domain.added", "a ajouté un domaine", "fr");
        });
        var activity = Event("activity_log.domain.added");

        formatter.FormatSentence(activity, CultureInfo.GetCultureInfo("de-AT")).Should().Be("Jemand hat eine Domain hinzugefügt.");
        formatter.FormatSentence(activity, CultureInfo.GetCultureInfo("fr-CA")).Should().Be("Quelqu'un a ajouté un domaine.");
        formatter.FormatSentence(activity, CultureInfo.GetCultureInfo("fr-FR")).Should().Be("Someone a ajouté un domaine.");
        formatter.FormatSentence(activity).Should().Be("Someone added a domain.");
    }

    // ---- Cultures ----

    [Fact]
    public void Culture_template_falls_back_to_parent_culture_then_default()
    {
        var formatter = Formatter(o =>
        {
            o.AddTemplate("activity_log.webhook.removed", "removed the webhook {resource.name}");
            o.AddTemplate("activity_log.webhook.removed", "hat den Webhook {resource.name} entfernt", "de");
            o.AddTemplate("activity_log.webhook.removed", "hat den Webhook {resource.name} g'löscht", "de-CH");
        });
        var activity = Event("activity_log.webhook.removed", JohnDoe, new ActivityResource("webhook", "5", "Logging"));

        formatter.Describe(activity, CultureInfo.GetCultureInfo("de-CH")).Should().Be("hat den Webhook Logging g'löscht");
        formatter.Describe(activity, CultureInfo.GetCultureInfo("de-AT")).Should().Be("hat den Webhook Logging entfernt");
        formatter.Describe(activity, CultureInfo.GetCultureInfo("de")).Should().Be("hat den Webhook Logging entfernt");
        formatter.Describe(activity, CultureInfo.GetCultureInfo("fr-FR")).Should().Be("removed the webhook Logging");
        formatter.Describe(activity, null).Should().Be("removed the webhook Logging");
    }

    [Fact]
    public void Culture_without_a_template_for_the_event_falls_back_to_the_built_in_default()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.user.invited", "hat {resource.name} eingeladen", "de"));

        var description = formatter.Describe(
            Event("activity_log.field.created", JohnDoe, new ActivityResource("field", "1", "First Name")),
            CultureInfo.GetCultureInfo("de-AT"));

        description.Should().Be("created the field First Name");
    }

    [Fact]
    public void Configured_culture_is_used_by_Describe()
    {
        var formatter = Formatter(o =>
        {
            o.Culture = "de";
            o.AddTemplate("activity_log.domain.added", "hat eine Domain hinzugefügt", "de");
        });

        formatter.Culture.Should().Be(CultureInfo.GetCultureInfo("de"));
        formatter.Describe(Event("activity_log.domain.added", JohnDoe)).Should().Be("hat eine Domain hinzugefügt");
    }

    [Fact]
    public void Sentence_in_another_culture_ignores_the_stored_description()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.domain.added", "hat eine Domain hinzugefügt", "de"));
        var activity = Event("activity_log.domain.added", JohnDoe, description: "added a domain");

        formatter.FormatSentence(activity, CultureInfo.GetCultureInfo("de-DE")).Should().Be("John Doe hat eine Domain hinzugefügt.");
        formatter.FormatSentence(activity).Should().Be("John Doe added a domain.");
    }

    // ---- Template syntax ----

    [Fact]
    public void Unknown_placeholder_throws_naming_the_placeholder()
    {
        var options = new ActivityDescriptionOptions();

        var act = () => options.AddTemplate("activity_log.webhook.removed", "removed {resource.colour}");

        act.Should().Throw<ArgumentException>().WithMessage("*{resource.colour}*").WithMessage("*activity_log.webhook.removed*");
    }

    [Fact]
    public void Unknown_placeholder_bound_from_configuration_fails_when_the_formatter_is_built()
    {
        var options = new ActivityDescriptionOptions();
        options.Templates["activity_log.webhook.removed"] = "removed {webhook.name}";

        var act = () => new ActivityDescriptionFormatter(options);

        act.Should().Throw<ArgumentException>().WithMessage("*{webhook.name}*");
    }

    [Theory]
    [InlineData("removed {resource.name")]
    [InlineData("removed resource.name}")]
    [InlineData("removed {resource.name}}")]
    [InlineData("removed {{resource.name}")]
    [InlineData("{")]
    [InlineData("}")]
    public void Unbalanced_braces_throw(string template)
    {
        var options = new ActivityDescriptionOptions();

        var act = () => options.AddTemplate("activity_log.webhook.removed", template);

        act.Should().Throw<ArgumentException>().WithMessage("*activity_log.webhook.removed*");
    }

    [Fact]
    public void Empty_placeholder_is_rejected()
    {
        var act = () => new ActivityDescriptionOptions().AddTemplate("activity_log.webhook.removed", "removed {}");

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Doubled_braces_are_literal_braces()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.webhook.removed", "removed {{webhook}} {resource.name} }}done{{"));

        formatter.Describe(Event("activity_log.webhook.removed", JohnDoe, new ActivityResource("webhook", "5", "Logging")))
            .Should().Be("removed {webhook} Logging }done{");
    }

    [Fact]
    public void Indexed_related_placeholder_picks_that_related_resource()
    {
        var formatter = Formatter(o => o.AddTemplate(
            "activity_log.webhook.moved", "moved the webhook {resource.name} from {related.name} to {related[1].name} ({related[1].type})"));

        var description = formatter.Describe(Event(
            "activity_log.webhook.moved",
            JohnDoe,
            new ActivityResource("webhook", "5", "Logging"),
            [new ActivityResource("sending_stream", "8", "Transactional"), new ActivityResource("sending_stream", "9", "Bulk")]));

        description.Should().Be("moved the webhook Logging from Transactional to Bulk (sending stream)");
    }

    [Fact]
    public void Indexed_related_placeholder_beyond_the_list_renders_as_nothing()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.webhook.moved", "moved {resource.name} to {related[3].name}"));

        formatter.Describe(Event("activity_log.webhook.moved", JohnDoe, new ActivityResource("webhook", "5", "Logging"),
            [new ActivityResource("sending_stream", "8", "Transactional")])).Should().Be("moved Logging to");
    }

    [Fact]
    public void Empty_placeholder_value_collapses_the_surrounding_spaces()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.webhook.removed", "removed the webhook {resource.name} from the stream"));

        formatter.Describe(Event("activity_log.webhook.removed", JohnDoe, new ActivityResource("webhook", "5")))
            .Should().Be("removed the webhook from the stream");
    }

    [Fact]
    public void Empty_placeholder_at_the_end_leaves_no_trailing_space()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.webhook.removed", "removed the webhook {resource.name} from {related.name}"));

        formatter.FormatSentence(Event("activity_log.webhook.removed", JohnDoe, new ActivityResource("webhook", "5", "Logging")))
            .Should().Be("John Doe removed the webhook Logging from.");
    }

    [Fact]
    public void Resource_type_placeholder_humanizes_underscores()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.stream.paused", "paused the {resource.type} {resource.name}"));

        formatter.Describe(Event("activity_log.stream.paused", JohnDoe, new ActivityResource("sending_stream", "8", "Transactional")))
            .Should().Be("paused the sending stream Transactional");
    }

    [Fact]
    public void Actor_context_metadata_and_change_placeholders_resolve()
    {
        var formatter = Formatter(o => o.AddTemplate(
            "activity_log.user.renamed",
            "renamed {resource.id} from {changes.name.from} to {changes.name.to} as {actor.type} {actor.id} via {context.ip_address} ({metadata.reason})"));
        var activity = new ActivityLogEvent
        {
            Name = "activity_log.user.renamed",
            Actor = ActivityActor.ApiToken(7, "CI"),
            Resource = new ActivityResource("user", 783, "Jane Doe"),
            Changes = [ActivityChange.Of("name", "Jane", "Janet")],
            Context = new ActivityRequestContext { IpAddress = "203.0.113.7" },
            Metadata = new Dictionary<string, object?> { ["reason"] = "typo" },
        };

        formatter.Describe(activity).Should().Be("renamed 783 from Jane to Janet as api token 7 via 203.0.113.7 (typo)");
    }

    [Fact]
    public void Placeholders_may_have_surrounding_whitespace()
    {
        var formatter = Formatter(o => o.AddTemplate("activity_log.sandbox.deleted", "deleted a sandbox { resource.name }"));

        formatter.Describe(Event("activity_log.sandbox.deleted", JohnDoe, new ActivityResource("sandbox", "3", "QA")))
            .Should().Be("deleted a sandbox QA");
    }

    [Fact]
    public void AddTemplate_replaces_an_existing_template()
    {
        var formatter = Formatter(o => o
            .AddTemplate("activity_log.sandbox.deleted", "first {resource.name}")
            .AddTemplate("activity_log.sandbox.deleted", "second {resource.name}"));

        formatter.Describe(Event("activity_log.sandbox.deleted", JohnDoe, new ActivityResource("sandbox", "3", "QA")))
            .Should().Be("second QA");
    }

    [Theory]
    [InlineData("", "text")]
    [InlineData(" ", "text")]
    [InlineData("activity_log.sandbox.deleted", "")]
    [InlineData("activity_log.sandbox.deleted", "  ")]
    public void AddTemplate_rejects_empty_arguments(string eventName, string template)
    {
        var act = () => new ActivityDescriptionOptions().AddTemplate(eventName, template);

        act.Should().Throw<ArgumentException>();
    }
}

using ActivityLog.Serialization;
using ActivityLog.Webhooks.Subscriptions;
using ActivityLog.Webhooks.Tests.Subscriptions.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.Webhooks.Tests.Subscriptions;

/// <summary>
/// Issue 13, item 2: every management action is recorded in the account's own activity log, under the ambient actor,
/// with the sentences the page shows, and with the URL's host only.
/// </summary>
public sealed class SubscriptionActivityTests
{
    [Fact]
    public async Task Creating_rotating_and_deleting_read_exactly_as_the_issue_says_in_the_accounts_own_log()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        using (SubscriptionTestHost.AsJohnDoe())
        {
            var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("Logging"));
            await host.Manager.RotateSecretAsync("acme", created.Subscription.Id);
            (await host.Manager.DeleteAsync("acme", created.Subscription.Id)).Should().BeTrue();
        }

        (await host.SentencesAsync("acme")).Should().Equal(
            "John Doe created the webhook Logging.",
            "John Doe rotated the secret of the webhook Logging.",
            "John Doe deleted the webhook Logging.");
    }

    [Fact]
    public async Task Update_disable_and_enable_are_recorded_with_their_sentences_and_the_update_with_its_changes()
    {
        await using var host = await SubscriptionTestHost.StartAsync(s => s.AllowHttp = true);
        Guid id;
        using (SubscriptionTestHost.AsJohnDoe())
        {
            id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft("Logging", "https://127.0.0.1:9/old/T0SECRET?token=q1", "activity_log.user.*"))).Subscription.Id;
            var draft = SubscriptionTestHost.Draft("Audit", "http://localhost:9/new/T1SECRET?token=q2", "activity_log.user.*", "activity_log.domain.added");
            draft.Format = WebhookPayloadFormat.JsonLines;
            await host.Manager.UpdateAsync("acme", id, draft);
            await host.Manager.DisableAsync("acme", id);
            await host.Manager.EnableAsync("acme", id, WebhookResumeMode.Backlog);
        }

        (await host.SentencesAsync("acme")).Should().Equal(
            "John Doe created the webhook Logging.",
            "John Doe updated the webhook Audit.",
            "John Doe disabled the webhook Audit.",
            "John Doe enabled the webhook Audit.");
        var events = await host.ActivitiesAsync();
        var updated = events.Single(e => e.Name == "activity_log.webhook.updated");
        // Values as they are stored: a list becomes JSON.
        static string? Text(object? value) => value is System.Text.Json.Nodes.JsonNode node ? node.ToJsonString() : value?.ToString();
        updated.Changes.Select(c => (c.Field, Text(c.From), Text(c.To))).Should().Equal(
            ("url", "127.0.0.1", "localhost"),
            ("format", "json", "jsonl"),
            ("events", "[\"activity_log.user.*\"]", "[\"activity_log.user.*\",\"activity_log.domain.added\"]"),
            ("description", "Logging", "Audit"));
        events.Should().OnlyContain(e => e.AccountId == "acme" && e.Resource!.Value.Type == "webhook" && e.Resource.Value.Id == id.ToString("N"));
        events.Should().OnlyContain(e => e.Actor.Name == "John Doe" && e.Actor.Id == "42");
        events.Single(e => e.Name == "activity_log.webhook.disabled").Metadata!["reason"].Should().Be("admin");
        events.Single(e => e.Name == "activity_log.webhook.enabled").Metadata!["resume_from"].Should().Be("backlog");

        string json = string.Join("\n", events.Select(e => ActivityJsonSerializer.Serialize(e, ActivityJsonFields.All)));
        foreach (string secretPart in new[] { "T0SECRET", "T1SECRET", "q1", "q2", "/old", "/new" })
        {
            json.Should().NotContain(secretPart, "a URL's path and query never reach the activity log");
        }
    }

    [Fact]
    public async Task A_change_that_changes_nothing_records_nothing()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        using var _ = SubscriptionTestHost.AsJohnDoe();
        // Subscribed to events this test never records: a delivery of its own activities to the closed port would make
        // the engine store its failure clock, a real change of the stored version.
        var draft = SubscriptionTestHost.Draft("Logging", "https://127.0.0.1:9/hooks/activity", "activity_log.user.*");
        var id = (await host.Manager.CreateAsync("acme", draft)).Subscription.Id;

        await host.Manager.UpdateAsync("acme", id, SubscriptionTestHost.Draft("Logging", "https://127.0.0.1:9/hooks/activity", "activity_log.user.*"));
        await host.Manager.EnableAsync("acme", id, WebhookResumeMode.Now);
        await host.Manager.DisableAsync("acme", id);
        await host.Manager.DisableAsync("acme", id);

        (await host.SentencesAsync("acme")).Should().Equal("John Doe created the webhook Logging.", "John Doe disabled the webhook Logging.");
        (await host.Store.FindAsync("acme", id))!.Version.Should().Be(2, "only the real change was stored");
        host.Targets.Find(OutboxFixtures.Destination(id))!.IsDisabled.Should().BeTrue("the engine applied it at once");
    }

    [Fact]
    public async Task Without_an_ambient_actor_the_sentence_names_someone_and_nobody_is_stored_as_creator()
    {
        await using var host = await SubscriptionTestHost.StartAsync();

        var created = await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft());

        created.Subscription.CreatedBy.Should().BeNull();
        (await host.SentencesAsync("acme")).Should().Equal("Someone created the webhook Logging.");
    }

    [Fact]
    public async Task The_engines_auto_disable_reads_as_the_issue_says_under_the_libraries_own_name()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft())).Subscription.Id;
        var stored = await host.Store.FindAsync("acme", id);

        WebhookActivities.RecordAutoDisabled(host.Recorder, stored! with { Enabled = false, DisabledReason = "failing" }, TimeSpan.FromDays(5) + TimeSpan.FromMinutes(3));
        WebhookActivities.RecordAutoDisabled(host.Recorder, stored!, TimeSpan.FromDays(12.6));
        // As the engine records a 410 answer (its own record, under the same system actor).
        host.Recorder.Record(WebhookActivities.Gone, resource: WebhookActivities.Resource(stored!), actor: ActivityActor.System("ActivityLog"), accountId: "acme");

        var sentences = await host.SentencesAsync("acme");
        sentences.Skip(1).Should().Equal(
            "ActivityLog disabled the webhook Logging after 5 days of failed deliveries.",
            "ActivityLog disabled the webhook Logging after 13 days of failed deliveries.",
            "ActivityLog disabled the webhook Logging: its receiver answered 410 Gone.");
        var first = (await host.ActivitiesAsync()).First(e => e.Name == WebhookActivities.AutoDisabled);
        first.Metadata!["failing_for_days"].Should().Be(5L);
        first.Metadata["reason"].Should().Be("failing");
        first.Actor.Type.Should().Be(ActivityActorTypes.System);
    }

    [Fact]
    public async Task Redelivery_recovery_and_test_events_are_recorded_too()
    {
        await using var host = await SubscriptionTestHost.StartAsync();
        using var _ = SubscriptionTestHost.AsJohnDoe();
        // No webhook activity routed to it, so no delivery of the engine's races the fixture's claim.
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft(events: "activity_log.user.*"))).Subscription.Id;
        string messageId = await OutboxFixtures.DeadLetterAsync(host, id);

        (await host.Manager.RedeliverAsync("acme", id, messageId)).Should().BeTrue();
        await host.Manager.RecoverAsync("acme", id, host.Time.GetUtcNow().AddDays(-1));
        await host.Manager.SendTestAsync("acme", id);

        (await host.SentencesAsync("acme")).Skip(1).Should().Equal(
            "John Doe redelivered a message of the webhook Logging.",
            "John Doe recovered 0 failed messages of the webhook Logging.",
            "John Doe sent a test event to the webhook Logging.");
    }

    [Fact]
    public async Task A_hosts_own_template_for_a_webhook_event_wins()
    {
        await using var host = await SubscriptionTestHost.StartAsync(activityLog: log =>
            log.AddDescription("activity_log.webhook.secret_rotated", "rolled the signing key of {resource.name}"));
        using var _ = SubscriptionTestHost.AsJohnDoe();
        var id = (await host.Manager.CreateAsync("acme", SubscriptionTestHost.Draft())).Subscription.Id;

        await host.Manager.RotateSecretAsync("acme", id);

        (await host.SentencesAsync("acme")).Should().Equal("John Doe created the webhook Logging.", "John Doe rolled the signing key of Logging.");
    }

    [Fact]
    public async Task Registering_the_services_twice_keeps_one_manager_and_one_set_of_templates()
    {
        await using var host = await SubscriptionTestHost.StartAsync(services: s => WebhookSubscriptionServices.Add(s));

        host.Services.GetServices<IActivityWebhookSubscriptions>().Should().ContainSingle();
        host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ActivityLogOptions>>().Value.Descriptions.Templates
            .Keys.Where(k => k.StartsWith("activity_log.webhook.", StringComparison.Ordinal)).Should().BeEquivalentTo(WebhookActivities.Templates.Keys);
    }
}

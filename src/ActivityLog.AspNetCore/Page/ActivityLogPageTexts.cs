namespace ActivityLog.AspNetCore;

/// <summary>
/// The words of the Activity Log page (column headers, filter labels, date presets, details and history), English by
/// default. Give other cultures in <see cref="ActivityLogEndpointOptions.Cultures"/>: the page picks the request's UI
/// culture (as <c>UseRequestLocalization</c> sets it), then its parent cultures, then <see cref="ActivityLogEndpointOptions.Texts"/>
/// — the same fallback as description templates (<see cref="ActivityDescriptionOptions.Cultures"/>).
/// </summary>
/// <remarks>Texts are HTML-encoded when rendered; they are plain text, never markup.</remarks>
public sealed record ActivityLogPageTexts
{
    /// <summary>The language of these texts, as the page's <c>lang</c> attribute (BCP 47, such as <c>en</c> or <c>fr-CA</c>).</summary>
    public string Language { get; init; } = "en";

    /// <summary>The Actor column header and filter label.</summary>
    public string Actor { get; init; } = "Actor";

    /// <summary>The Description column header.</summary>
    public string Description { get; init; } = "Description";

    /// <summary>The Resource column header.</summary>
    public string Resource { get; init; } = "Resource";

    /// <summary>The Date column header.</summary>
    public string Date { get; init; } = "Date";

    /// <summary>The label of the filters' region.</summary>
    public string Filters { get; init; } = "Filters";

    /// <summary>The search field's label.</summary>
    public string Search { get; init; } = "Search";

    /// <summary>The date range field's label.</summary>
    public string DateRange { get; init; } = "Date range";

    /// <summary>The date range choice for no range.</summary>
    public string AllTime { get; init; } = "All time";

    /// <summary>The preset of the last 24 hours.</summary>
    public string Last24Hours { get; init; } = "Last 24 hours";

    /// <summary>The preset of the last 7 days.</summary>
    public string Last7Days { get; init; } = "Last 7 days";

    /// <summary>The preset of the last 30 days.</summary>
    public string Last30Days { get; init; } = "Last 30 days";

    /// <summary>The choice of a custom range.</summary>
    public string CustomRange { get; init; } = "Custom range";

    /// <summary>The custom range's start label.</summary>
    public string From { get; init; } = "From";

    /// <summary>The custom range's end label (inclusive day).</summary>
    public string To { get; init; } = "To";

    /// <summary>The actor choice for every actor.</summary>
    public string AnyActor { get; init; } = "Anyone";

    /// <summary>The resource type field's label.</summary>
    public string ResourceType { get; init; } = "Resource type";

    /// <summary>The resource type choice for every type.</summary>
    public string AnyResourceType { get; init; } = "Any type";

    /// <summary>The resource name field's label.</summary>
    public string ResourceName { get; init; } = "Resource name";

    /// <summary>The event type field's label.</summary>
    public string EventType { get; init; } = "Event type";

    /// <summary>The event type choice for every event.</summary>
    public string AnyEvent { get; init; } = "Any event";

    /// <summary>The choice of every event of one resource type; <c>{0}</c> is the type's label.</summary>
    public string AllEventsOf { get; init; } = "All {0} events";

    /// <summary>The filter button.</summary>
    public string Apply { get; init; } = "Filter";

    /// <summary>The link that clears every filter.</summary>
    public string Clear { get; init; } = "Clear filters";

    /// <summary>The link to the next page.</summary>
    public string LoadMore { get; init; } = "Load more";

    /// <summary>Shown when the account has no events.</summary>
    public string NoActivity { get; init; } = "No activity yet.";

    /// <summary>Shown when no event matches the filters.</summary>
    public string NoMatch { get; init; } = "No activity matches these filters.";

    /// <summary>The link back to the list.</summary>
    public string BackToLog { get; init; } = "Back to the activity log";

    /// <summary>The heading of an event's details.</summary>
    public string EventDetails { get; init; } = "Event details";

    /// <summary>The event name's label.</summary>
    public string EventName { get; init; } = "Event";

    /// <summary>The event id's label.</summary>
    public string EventId { get; init; } = "Event id";

    /// <summary>The related resources' label.</summary>
    public string RelatedResources { get; init; } = "Related resources";

    /// <summary>The type label (of an actor or resource).</summary>
    public string Type { get; init; } = "Type";

    /// <summary>The id label (of an actor or resource).</summary>
    public string Id { get; init; } = "Id";

    /// <summary>The name label (of an actor or resource).</summary>
    public string Name { get; init; } = "Name";

    /// <summary>The changes' heading.</summary>
    public string Changes { get; init; } = "Changes";

    /// <summary>The field column of change and state tables.</summary>
    public string Field { get; init; } = "Field";

    /// <summary>The earlier value's column.</summary>
    public string Before { get; init; } = "From";

    /// <summary>The later value's column.</summary>
    public string After { get; init; } = "To";

    /// <summary>The value column of a state table.</summary>
    public string Value { get; init; } = "Value";

    /// <summary>Shown for an event without changes.</summary>
    public string NoChanges { get; init; } = "No changes were recorded.";

    /// <summary>Shown for a missing value.</summary>
    public string NoValue { get; init; } = "(none)";

    /// <summary>The context's heading.</summary>
    public string Context { get; init; } = "Context";

    /// <summary>The client IP address label.</summary>
    public string IpAddress { get; init; } = "IP address";

    /// <summary>The user agent label.</summary>
    public string UserAgent { get; init; } = "User agent";

    /// <summary>The authentication method label.</summary>
    public string AuthMethod { get; init; } = "Signed in with";

    /// <summary>The correlation id label.</summary>
    public string CorrelationId { get; init; } = "Correlation id";

    /// <summary>The metadata heading.</summary>
    public string Metadata { get; init; } = "Metadata";

    /// <summary>The heading of the event as the webhook payload carries it.</summary>
    public string Payload { get; init; } = "Webhook payload";

    /// <summary>The link to a resource's history.</summary>
    public string History { get; init; } = "History";

    /// <summary>The heading of a resource's history; <c>{0}</c> is the resource's name.</summary>
    public string HistoryOf { get; init; } = "History of {0}";

    /// <summary>The link from a history row to the state after it.</summary>
    public string StateAfterThis { get; init; } = "State after this event";

    /// <summary>The heading of a rebuilt state; <c>{0}</c> is the point in time.</summary>
    public string StateAt { get; init; } = "State at {0}";

    /// <summary>The point-in-time field's label.</summary>
    public string PointInTime { get; init; } = "Point in time";

    /// <summary>The comparison time field's label.</summary>
    public string CompareWith { get; init; } = "Compare with";

    /// <summary>The button that shows a state or a comparison.</summary>
    public string Show { get; init; } = "Show";

    /// <summary>The heading of a comparison; <c>{0}</c> and <c>{1}</c> are the two points in time.</summary>
    public string DifferenceBetween { get; init; } = "Changes between {0} and {1}";

    /// <summary>Shown when a comparison finds no difference.</summary>
    public string NoDifference { get; init; } = "Nothing changed between these times.";

    /// <summary>Shown when nothing was recorded about the resource by the chosen time.</summary>
    public string NothingRecordedYet { get; init; } = "Nothing was recorded about this resource by then.";

    /// <summary>Shown when the resource was deleted by the chosen time.</summary>
    public string Deleted { get; init; } = "The resource was deleted by then; its last recorded values follow.";

    /// <summary>Shown when the history starts after the resource's creation.</summary>
    public string PartialHistory { get; init; } = "The history starts after this resource was created: only fields changed since are known.";

    /// <summary>Shown when an event id is unknown in the account.</summary>
    public string EventNotFound { get; init; } = "This event does not exist in your account.";

    /// <summary>The note that dates are shown in the viewer's time zone; <c>{0}</c> is the zone.</summary>
    public string TimesIn { get; init; } = "Times in {0}";
}

using System.ComponentModel.DataAnnotations;
using ActivityLog.Serialization;

namespace ActivityLog.AspNetCore;

/// <summary>
/// How <c>MapActivityLog(…)</c> serves the Activity Log page and its JSON API. Given per call; checked when the
/// endpoints are mapped (at start), so a bad value fails the host before the first request.
/// </summary>
public sealed class ActivityLogEndpointOptions
{
    /// <summary>
    /// The authorization policy every endpoint requires, by name. <see langword="null"/> requires the default policy
    /// (an authenticated user unless the host changed it). The endpoints are never anonymous: mapping them with
    /// <c>AllowAnonymous()</c> fails at start.
    /// </summary>
    /// <value><see langword="null"/> (the default policy).</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>How many events one page (HTML or JSON) shows when the request names no <c>page_size</c>.</summary>
    /// <value>50. Between 1 and 500 (the store may lower it to its own maximum).</value>
    [Range(1, 500)]
    public int PageSize { get; set; } = 50;

    /// <summary>The page's title and heading.</summary>
    /// <value><c>Activity Log</c>. Not empty.</value>
    [Required]
    public string Title { get; set; } = "Activity Log";

    /// <summary>
    /// The optional fields the JSON API and the JSON Lines export add to each event, beyond the seed payload's. The
    /// event <c>id</c> is always written. Add <see cref="ActivityJsonFields.Context"/> to show IP addresses and user
    /// agents (redacted like everything else) to whoever passes <see cref="AuthorizationPolicy"/>.
    /// </summary>
    /// <value><see cref="ActivityJsonFields.Id"/>.</value>
    public ActivityJsonFields JsonFields { get; set; } = ActivityJsonFields.Id;

    /// <summary>
    /// Whether looking at the log is itself recorded in the account's log: opening the page
    /// (<c>activity_log.activity_log.viewed</c>), an event's details or a resource's history (the same name, with the
    /// view in the metadata), a first JSON page, and every export (<c>activity_log.activity_log.exported</c>), each with
    /// the filters used. Pages after the first ("Load more", a cursor) are never recorded.
    /// </summary>
    /// <value><see langword="true"/>.</value>
    public bool RecordViews { get; set; } = true;

    /// <summary>
    /// The same viewer opening the same view with the same filters again within this time is recorded once, so that
    /// reloading or paging does not flood the log. <see cref="TimeSpan.Zero"/> records every view; exports are always recorded.
    /// </summary>
    /// <value>5 minutes. Between 0 and 1 day.</value>
    public TimeSpan ViewCoalescingWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The page's words in the default culture (English unless replaced).</summary>
    public ActivityLogPageTexts Texts { get; set; } = new();

    /// <summary>
    /// The page's words per culture name (<c>fr</c>, <c>fr-CA</c>): the request's UI culture is looked up, then its
    /// parents, then <see cref="Texts"/>.
    /// </summary>
    public Dictionary<string, ActivityLogPageTexts> Cultures { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Checks the <c>[Range]</c> and <c>[Required]</c> attributes of <see cref="ActivityLogEndpointOptions"/> (source-generated).</summary>
[Microsoft.Extensions.Options.OptionsValidator]
internal sealed partial class ActivityLogEndpointOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<ActivityLogEndpointOptions>;

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
}

/// <summary>Checks the <c>[Range]</c> and <c>[Required]</c> attributes of <see cref="ActivityLogEndpointOptions"/> (source-generated).</summary>
[Microsoft.Extensions.Options.OptionsValidator]
internal sealed partial class ActivityLogEndpointOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<ActivityLogEndpointOptions>;

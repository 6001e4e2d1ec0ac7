using System.ComponentModel.DataAnnotations;

namespace ActivityLog.AspNetCore;

/// <summary>
/// How <c>MapActivityLogWebhooks(…)</c> serves Settings → Webhooks and its JSON API. Given per call; checked when the
/// endpoints are mapped (at start), so a bad value fails the host before the first request.
/// </summary>
public sealed class ActivityLogWebhookEndpointOptions
{
    /// <summary>
    /// The authorization policy every route requires, by name: give it the same policy as <c>MapActivityLog</c> (an
    /// account admin, typically). <see langword="null"/> requires the default policy. The routes are never anonymous:
    /// mapping them with <c>AllowAnonymous()</c> fails at start.
    /// </summary>
    /// <value><see langword="null"/> (the default policy).</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>The title and heading of the list page.</summary>
    /// <value><c>Webhooks</c>. Not empty.</value>
    [Required]
    public string Title { get; set; } = "Webhooks";

    /// <summary>How many recent delivery attempts the details page shows (the API's <c>limit</c> defaults to it too).</summary>
    /// <value>50. Between 1 and 1,000.</value>
    [Range(1, 1_000)]
    public int AttemptsShown { get; set; } = 50;

    /// <summary>How many dead letters the details page shows (the API's <c>limit</c> defaults to it too).</summary>
    /// <value>100. Between 1 and 1,000.</value>
    [Range(1, 1_000)]
    public int DeadLettersShown { get; set; } = 100;
}

/// <summary>Checks the <c>[Range]</c> and <c>[Required]</c> attributes of <see cref="ActivityLogWebhookEndpointOptions"/> (source-generated).</summary>
[Microsoft.Extensions.Options.OptionsValidator]
internal sealed partial class ActivityLogWebhookEndpointOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<ActivityLogWebhookEndpointOptions>;

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ActivityLog.Extensibility;
using ActivityLog.Naming;
using ActivityLog.Values;
using ActivityLog.Webhooks.Internal;

namespace ActivityLog.Webhooks.Subscriptions;

/// <summary>A draft that passed every rule, normalized for the store.</summary>
/// <param name="Url">The absolute URL.</param>
/// <param name="Format">The stored format name (<c>json</c>, <c>jsonl</c>).</param>
/// <param name="Events">The patterns, duplicates removed, in the order given.</param>
/// <param name="Description">The name, trimmed.</param>
internal sealed record ValidWebhookDraft(Uri Url, string Format, IReadOnlyList<string> Events, string Description);

/// <summary>
/// The rules for a URL typed by a stranger, and for the rest of the "Create New Webhook" form. Every refusal is a
/// <see cref="WebhookSubscriptionException"/> naming the field; a message never carries the URL's path, query or
/// user info (they are often its credentials), only its host.
/// </summary>
internal sealed class WebhookSubscriptionValidator(NetworkGuard guard, WebhookSubscriptionOptions options, TimeProvider time)
{
    /// <summary>How long a host name may take to resolve at save time.</summary>
    internal static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(10);

    public async Task<ValidWebhookDraft> ValidateAsync(WebhookSubscriptionDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        string description = Description(draft.Description);
        string format = Format(draft.Format);
        var events = Events(draft.Events);
        var url = await UrlAsync(draft.Url, cancellationToken).ConfigureAwait(false);
        return new ValidWebhookDraft(url, format, events, description);
    }

    private async Task<Uri> UrlAsync(Uri? url, CancellationToken cancellationToken)
    {
        const string Field = nameof(WebhookSubscriptionDraft.Url);
        if (url is null)
        {
            throw new WebhookSubscriptionException(Field, "The URL is required.");
        }

        if (!url.IsAbsoluteUri)
        {
            throw new WebhookSubscriptionException(Field, "The URL must be absolute (https://host/path).");
        }

        bool https = url.Scheme == Uri.UriSchemeHttps;
        if (!https && !(url.Scheme == Uri.UriSchemeHttp && options.AllowHttp))
        {
            throw new WebhookSubscriptionException(Field, options.AllowHttp
                ? $"The URL's scheme must be https or http, not {Scheme(url)}."
                : $"The URL must use https, not {Scheme(url)}: a payload and its signature would cross the network in the clear (ActivityLog:Webhooks:Subscriptions:AllowHttp allows http).");
        }

        if (url.UserInfo.Length > 0 || HasUserInfo(url))
        {
            throw new WebhookSubscriptionException(Field, "No credentials in URLs: remove the user name and password before the host (the payload is signed instead).");
        }

        if (url.Fragment.Length > 0 || url.OriginalString.Contains('#', StringComparison.Ordinal))
        {
            throw new WebhookSubscriptionException(Field, "The URL must not have a fragment (#…): it is never sent to the receiver.");
        }

        if (url.AbsoluteUri.Length > ActivitySubscription.MaxUrlLength)
        {
            throw new WebhookSubscriptionException(Field, $"The URL is {url.AbsoluteUri.Length} characters long; at most {ActivitySubscription.MaxUrlLength} are allowed.");
        }

        if (url.HostNameType is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6) || url.IdnHost.Length == 0)
        {
            throw new WebhookSubscriptionException(Field, "The URL's host must be a DNS name or an IP address.");
        }

        string host = url.IdnHost;
        if (guard.RefuseHost(url) is { } refused)
        {
            throw new WebhookSubscriptionException(Field, $"The URL's host {host} {refused}.");
        }

        foreach (var address in await ResolveAsync(host, cancellationToken).ConfigureAwait(false))
        {
            if (guard.Refuse(address) is { } reason)
            {
                throw new WebhookSubscriptionException(Field, $"The URL's host {host} resolves to {address}, which {reason}.");
            }
        }

        return url;
    }

    private async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return [literal];
        }

        using var deadline = new CancellationTokenSource(ResolveTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, linked.Token).ConfigureAwait(false);
        }
        catch (SocketException exception)
        {
            throw new WebhookSubscriptionException(nameof(WebhookSubscriptionDraft.Url),
                $"The URL's host {host} cannot be resolved ({exception.SocketErrorCode}); check the name, or try again if DNS is failing.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new WebhookSubscriptionException(nameof(WebhookSubscriptionDraft.Url),
                $"The URL's host {host} did not resolve within {ResolveTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds; try again.");
        }

        return addresses.Length > 0
            ? addresses
            : throw new WebhookSubscriptionException(nameof(WebhookSubscriptionDraft.Url), $"The URL's host {host} resolves to no address.");
    }

    private static string Format(WebhookPayloadFormat format) =>
        Enum.IsDefined(format)
            ? WebhookSubscriptionViews.FormatName(format)
            : throw new WebhookSubscriptionException(nameof(WebhookSubscriptionDraft.Format),
                $"The format {(int)format} is not a payload format; use Json ({{\"events\":[…]}}) or JsonLines (one event per line).");

    private static List<string> Events(IList<string> events)
    {
        const string Field = nameof(WebhookSubscriptionDraft.Events);
        if (events is null)
        {
            throw new WebhookSubscriptionException(Field, "The events are required; leave the list empty for every Activity Log event.");
        }

        if (events.Count > ActivitySubscription.MaxEvents)
        {
            throw new WebhookSubscriptionException(Field, $"There are {events.Count} event names or patterns; at most {ActivitySubscription.MaxEvents} are allowed (use a pattern such as activity_log.user.*).");
        }

        var kept = new List<string>(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            string? pattern = events[i];
            if (!ActivityEventName.TryParsePattern(pattern, out _, out string? problem))
            {
                // The pattern is the admin's own input; cut it so a huge one does not make a huge message.
                string shown = pattern is { Length: > 210 } ? pattern[..200] + "…" : pattern!;
                throw new WebhookSubscriptionException(Field, ActivityEventName.PatternProblem(shown, problem!, $"{Field}[{i}]"));
            }

            if (!kept.Contains(pattern!, StringComparer.Ordinal))
            {
                kept.Add(pattern!);
            }
        }

        return kept;
    }

    private static string Description(string? description)
    {
        const string Field = nameof(WebhookSubscriptionDraft.Description);
        string trimmed = description?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw new WebhookSubscriptionException(Field, $"The description is required: the webhook's name, 1 to {ActivitySubscription.MaxDescriptionLength} characters.");
        }

        if (trimmed.Length > ActivitySubscription.MaxDescriptionLength)
        {
            throw new WebhookSubscriptionException(Field, $"The description is {trimmed.Length} characters long; at most {ActivitySubscription.MaxDescriptionLength} are allowed.");
        }

        for (int i = 0; i < trimmed.Length; i++)
        {
            char c = trimmed[i];
            // Control characters, line separators and bidirectional overrides would let a name rewrite the sentence it
            // is shown in ("John Doe created the webhook …") on the page and in the log.
            if (char.IsControl(c) || c is '\u2028' or '\u2029' || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069' || c == '\u200E' || c == '\u200F' || c == '\u061C')
            {
                throw new WebhookSubscriptionException(Field, $"The description holds a control or text-direction character (U+{(int)c:X4}) at position {i}; use plain text.");
            }
        }

        if (StorableText.Problem(trimmed) is { } problem)
        {
            throw new WebhookSubscriptionException(Field, $"The description {problem}.");
        }

        return trimmed;
    }

    // A scheme is at most a short token; say which one without echoing anything else of the URL.
    private static string Scheme(Uri url) => url.Scheme.Length <= 20 ? url.Scheme : url.Scheme[..20] + "…";

    // Uri.UserInfo is empty for "https://@host/", which still names a (blank) credential.
    private static bool HasUserInfo(Uri url)
    {
        string authority = url.OriginalString;
        int start = authority.IndexOf("//", StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        int end = authority.IndexOfAny(['/', '?', '#'], start + 2);
        string part = end < 0 ? authority[(start + 2)..] : authority[(start + 2)..end];
        return part.Contains('@', StringComparison.Ordinal);
    }
}

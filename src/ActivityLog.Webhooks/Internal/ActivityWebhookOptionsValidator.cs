using System.Net;
using ActivityLog.Webhooks.Signing;
using Microsoft.Extensions.Options;

namespace ActivityLog.Webhooks.Internal;

/// <summary>Validates the DataAnnotations attributes of <see cref="ActivityWebhookOptions"/> at start (source-generated).</summary>
[OptionsValidator]
internal sealed partial class ActivityWebhookOptionsAttributesValidator : IValidateOptions<ActivityWebhookOptions>;

/// <summary>
/// Fails the start on what attributes cannot express, naming the configuration key: the lease against the request
/// timeout, each retry delay, networks and the proxy, and every endpoint (URL against the network rules, secrets
/// against the scheme, the event patterns); messages never quote a secret. Ranges are the attributes'.
/// </summary>
internal sealed class ActivityWebhookOptionsValidator : IValidateOptions<ActivityWebhookOptions>
{
    private const string Prefix = ActivityWebhookOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ActivityWebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.LeaseDuration <= options.RequestTimeout)
        {
            failures.Add($"{Prefix}:LeaseDuration ({options.LeaseDuration}) must be longer than {Prefix}:RequestTimeout ({options.RequestTimeout}), or another process could take a batch still in flight.");
        }

        if (options.RetryDelays is { } delays)
        {
            if (delays.Count is < 1 or > 100)
            {
                failures.Add($"{Prefix}:RetryDelays holds {delays.Count} entries; it must hold between 1 and 100 (one per attempt).");
            }

            for (int i = 0; i < delays.Count; i++)
            {
                Range(failures, $"RetryDelays:{i}", delays[i], TimeSpan.Zero, TimeSpan.FromDays(7));
            }
        }

        foreach (string network in options.AllowedNetworks)
        {
            if (!IPNetwork.TryParse(network, out _))
            {
                failures.Add($"{Prefix}:AllowedNetworks: '{network}' is not a network in CIDR notation (such as 10.1.0.0/16).");
            }
        }

        if (options.Proxy is { } proxy
            && (!proxy.IsAbsoluteUri || (proxy.Scheme != Uri.UriSchemeHttp && proxy.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(proxy.UserInfo)))
        {
            failures.Add($"{Prefix}:Proxy must be an absolute http or https URL without credentials.");
        }

        var guard = new NetworkGuard(options);
        foreach (var (endpointName, endpoint) in options.Endpoints)
        {
            ValidateEndpoint(failures, guard, endpointName, endpoint);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateEndpoint(List<string> failures, NetworkGuard guard, string name, WebhookEndpointOptions? endpoint)
    {
        string key = $"{Prefix}:Endpoints:{name}";
        if (endpoint is null)
        {
            failures.Add($"{key} is empty.");
            return;
        }

        if (name.Length is 0 or > 180 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            failures.Add($"{key}: an endpoint name is 1 to 180 characters without white space.");
        }

        if (!endpoint.Enabled)
        {
            return;
        }

        if (endpoint.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{key}:Url must be an absolute http or https URL.");
        }
        else if (!string.IsNullOrEmpty(url.UserInfo))
        {
            failures.Add($"{key}:Url must not carry credentials (user:password@); sign with the secret instead.");
        }
        else if (guard.RefuseHost(url) is { } reason)
        {
            failures.Add($"{key}:Url is refused: its host {reason}.");
        }

        if (string.IsNullOrEmpty(endpoint.Secret))
        {
            failures.Add($"{key}:Secret is required.");
        }

        int index = 0;
        foreach (string? secret in (string?[])[endpoint.Secret, .. endpoint.AdditionalSecrets])
        {
            string secretKey = index == 0 ? $"{key}:Secret" : $"{key}:AdditionalSecrets:{index - 1}";
            index++;
            if (string.IsNullOrEmpty(secret))
            {
                continue;
            }

            try
            {
                _ = WebhookSigner.DecodeKey(endpoint.Signing, secret);
            }
            catch (FormatException exception)
            {
                failures.Add($"{secretKey} is malformed: {exception.Message}");
            }
        }

        if (endpoint.AdditionalSecrets.Any(string.IsNullOrEmpty))
        {
            failures.Add($"{key}:AdditionalSecrets holds an empty secret.");
        }

        if (endpoint.Signing == WebhookSigningScheme.Mailtrap && endpoint.AdditionalSecrets.Count > 0)
        {
            failures.Add($"{key}:AdditionalSecrets is for Standard Webhooks only: Mailtrap-Signature carries a single signature.");
        }

        if (!Enum.IsDefined(endpoint.Format))
        {
            failures.Add($"{key}:Format is not a known format (Json or JsonLines).");
        }

        if (!Enum.IsDefined(endpoint.Signing))
        {
            failures.Add($"{key}:Signing is not a known scheme (StandardWebhooks or Mailtrap).");
        }

        for (int i = 0; i < endpoint.Events.Count; i++)
        {
            if (WebhookEventFilter.Describe(endpoint.Events[i]) is { } problem)
            {
                failures.Add($"{key}:Events: {problem}.");
            }
        }

        Range(failures, $"Endpoints:{name}:MaxBatchEvents", endpoint.MaxBatchEvents, 1, 10_000);
        Range(failures, $"Endpoints:{name}:MaxBatchBytes", endpoint.MaxBatchBytes, 1024, 100 * 1024 * 1024);
        Range(failures, $"Endpoints:{name}:MaxBatchDelay", endpoint.MaxBatchDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1));
    }

    private static void Range(List<string> failures, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{Prefix}:{name} is {value}; it must be between {min} and {max}.");
        }
    }

    private static void Range(List<string> failures, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{Prefix}:{name} is {value}; it must be between {min} and {max}.");
        }
    }
}

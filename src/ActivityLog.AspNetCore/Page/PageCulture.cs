using System.Globalization;
using ActivityLog.Formatting;

namespace ActivityLog.AspNetCore.Page;

/// <summary>
/// The words and the description culture of one request: the request's UI culture (as <c>UseRequestLocalization</c>
/// sets it), then its parents — the fallback description templates use.
/// </summary>
internal sealed record PageCulture(ActivityLogPageTexts Texts, CultureInfo? DescriptionCulture)
{
    public static PageCulture For(ActivityLogEndpointOptions options, ActivityDescriptionOptions descriptions)
    {
        var texts = options.Texts;
        CultureInfo? descriptionCulture = null;
        bool textsFound = false;
        for (var culture = CultureInfo.CurrentUICulture; !Equals(culture, CultureInfo.InvariantCulture); culture = culture.Parent)
        {
            if (!textsFound && options.Cultures.TryGetValue(culture.Name, out var localized))
            {
                texts = localized;
                textsFound = true;
            }

            // Only a culture the host gave templates for: otherwise the stored description (which may be the app's own
            // words, not a template's) is shown as recorded.
            if (descriptionCulture is null && descriptions.Cultures.ContainsKey(culture.Name))
            {
                descriptionCulture = CultureInfo.CurrentUICulture;
            }
        }

        return new PageCulture(texts, descriptionCulture);
    }

    /// <summary>A readable label for an event name: <c>activity_log.api_token.created</c> → "Api token created".</summary>
    public static string EventLabel(string name)
    {
        string[] parts = name.Split('.');
        if (parts.Length < 3)
        {
            return name;
        }

        string label = $"{parts[^2].Replace('_', ' ')} {parts[^1].Replace('_', ' ')}";
        return char.ToUpperInvariant(label[0]) + label[1..];
    }

    /// <summary>A readable label for a resource type: <c>api_token</c> → "api token".</summary>
    public static string TypeLabel(string type) => type.Replace('_', ' ');
}

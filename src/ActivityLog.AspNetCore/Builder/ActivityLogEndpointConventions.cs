using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The conventions every route group of the package gets: the policy, never anonymous, not in OpenAPI.</summary>
internal static class ActivityLogEndpointConventions
{
    /// <summary>Requires <paramref name="policy"/> (or the default policy) and fails the build of any endpoint that allows anonymous access.</summary>
    public static void Protect(RouteGroupBuilder group, string? policy, string what, string optionsType)
    {
        if (policy is null)
        {
            group.RequireAuthorization();
        }
        else
        {
            group.RequireAuthorization(policy);
        }

        group.ExcludeFromDescription();
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<IAllowAnonymous>().Any())
            {
                throw new InvalidOperationException(
                    $"The {what} endpoint '{endpoint.DisplayName}' must not allow anonymous access: remove AllowAnonymous() and name a policy in {optionsType}.AuthorizationPolicy instead.");
            }
        });
    }
}

using Microsoft.AspNetCore.Authentication;

namespace PinsDaemon.Host.Auth;

internal static class AuthExtensions
{
    public static IServiceCollection AddPinsAuth(this IServiceCollection services)
    {
        services.AddSingleton<TokenVerifier>();
        services.AddSingleton<TicketStore>();
        services.AddSingleton<FailedAuthThrottle>();
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);

        // Every endpoint needs the token unless it opts out (only /healthz does).
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(BearerTokenHandler.SchemeName)
                .RequireAuthenticatedUser()
                .Build());
        return services;
    }
}

using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Auth;

internal static class AuthExtensions
{
    public static IServiceCollection AddPinsAuth(this IServiceCollection services)
    {
        services.AddSingleton<TokenVerifier>();
        services.AddSingleton<TicketStore>();
        services.AddSingleton<FailedAuthThrottle>();
        services.AddSingleton(sp => new SessionStore(
            sp.GetRequiredService<TokenVerifier>().DeriveKey("pinsdaemon sessions v1"),
            sp.GetRequiredService<TimeProvider>(),
            Path.Combine(sp.GetRequiredService<IOptions<StorageOptions>>().Value.Directory, SessionStore.FileName),
            sp.GetRequiredService<ILogger<SessionStore>>()));
        // AddAuthenticationCore rather than AddAuthentication: the latter also brings in Data
        // Protection, which this daemon never uses but which would start a key ring on disk
        // (and cost start-up time and memory, measured in bench/).
        services.AddAuthenticationCore(options => options.DefaultScheme = BearerTokenHandler.SchemeName);
        services.AddWebEncoders();
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);

        // Every endpoint needs the token unless it opts out (only /healthz does).
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(BearerTokenHandler.SchemeName)
                .RequireAuthenticatedUser()
                .Build());
        return services;
    }
}

using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Auth;

internal static class AuthExtensions
{
    /// <summary>The bearer token or the page's session, whichever the request carries (<see cref="SessionAuthenticationHandler.SelectScheme"/>).</summary>
    public const string CredentialsScheme = "Credentials";

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
        services.AddAuthenticationCore(options => options.DefaultScheme = CredentialsScheme);
        services.AddWebEncoders();
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(CredentialsScheme, null, options => options.ForwardDefaultSelector = SessionAuthenticationHandler.SelectScheme);

        // Every endpoint needs the token (or a session the token opened) unless it opts out.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(CredentialsScheme)
                .RequireAuthenticatedUser()
                .Build());
        return services;
    }
}

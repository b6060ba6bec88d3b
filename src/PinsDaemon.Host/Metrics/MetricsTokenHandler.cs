using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Auth;

namespace PinsDaemon.Host.Metrics;

/// <summary>
/// The read-only credential of <c>GET /metrics</c>: <c>Authorization: Bearer &lt;metrics token&gt;</c>.
/// It is the only scheme <c>/metrics</c> accepts, so the admin token is refused there, and no other
/// endpoint accepts it.
/// </summary>
internal sealed class MetricsTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    MetricsToken token,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "MetricsToken";

    private const string BearerPrefix = "Bearer ";

    private static readonly ClaimsPrincipal Scraper = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "metrics")], SchemeName));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers.Authorization;
        if (headers.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (headers.Count > 1 || headers[0] is not { } value || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Fail("Send exactly one 'Authorization: Bearer <metrics token>' header.");
        }

        if (!token.IsConfigured)
        {
            // Not a failed guess: there is nothing to guess. The challenge says how to turn metrics on.
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!token.Verify(value[BearerPrefix.Length..].Trim()))
        {
            return Fail("The metrics token is not valid. /metrics takes the token in Metrics:TokenFile, never the admin token.");
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Scraper, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties) =>
        await BearerChallenge.WriteAsync(
            Context,
            problems,
            await HandleAuthenticateOnceSafeAsync(),
            token.IsConfigured
                ? "Send 'Authorization: Bearer <metrics token>', the token in Metrics:TokenFile."
                : "Metrics are turned off: set Metrics:TokenFile to a file holding a token for Prometheus (not the admin token).");

    private Task<AuthenticateResult> Fail(string message) => BearerChallenge.Fail(Context, message);
}

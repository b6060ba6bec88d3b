using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace PinsDaemon.Host.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> on every request; on the log streams (endpoints with
/// <see cref="QueryCredentials"/>) also <c>?token=</c> and <c>?ticket=</c>, because browsers cannot
/// set headers on a WebSocket. Failures never echo the presented token, here or in any log line.
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenVerifier verifier,
    TicketStore tickets,
    IOptions<Configuration.AuthOptions> auth,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    private const string BearerPrefix = "Bearer ";

    /// <summary>Set on the request when it presented credentials that failed; the throttle counts these.</summary>
    public const string FailedItemKey = "pinsdaemon.auth.failed";

    private static readonly ClaimsPrincipal Operator = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], SchemeName));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers.Authorization;
        var fromQuery = Context.GetEndpoint()?.Metadata.GetMetadata<QueryCredentials>();
        string? presented;
        if (headers.Count > 1)
        {
            return Fail("Send exactly one Authorization header.");
        }

        if (headers.Count == 1)
        {
            var value = headers[0] ?? string.Empty;
            if (!value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return Fail("The Authorization header must be 'Bearer <token>'.");
            }

            presented = value[BearerPrefix.Length..].Trim();
        }
        else if (fromQuery is not null && Request.Query.TryGetValue("ticket", out var ticket))
        {
            return RedeemTicket(ticket, fromQuery);
        }
        else if (fromQuery is not null && Request.Query.TryGetValue("token", out var query))
        {
            if (!auth.Value.AllowQueryToken)
            {
                return Fail("?token= is turned off on this daemon (Auth:AllowQueryToken). Get a ticket with POST /jobs/{id}/ticket (a rollout's log: POST /fleet/rollouts/{id}/ticket) and connect with ?ticket=.");
            }

            if (query.Count != 1)
            {
                return Fail("Send the token once.");
            }

            presented = query[0];
        }
        else
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!verifier.Verify(presented))
        {
            return Fail("The token is not valid.");
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Operator, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties) =>
        await BearerChallenge.WriteAsync(
            Context,
            problems,
            await HandleAuthenticateOnceSafeAsync(),
            $"Send 'Authorization: Bearer <token>'. This daemon's token is {verifier.Where}.");

    private Task<AuthenticateResult> RedeemTicket(Microsoft.Extensions.Primitives.StringValues ticket, QueryCredentials endpoint)
    {
        // A ticket opens exactly the stream it was issued for, named by the route.
        if (ticket.Count != 1
            || endpoint.Stream(Context) is not { } stream
            || !tickets.Redeem(ticket[0], stream))
        {
            return Fail("The ticket is not valid: tickets are single-use, expire after 30 seconds, and open only the stream they were issued for.");
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Operator, SchemeName)));
    }

    private Task<AuthenticateResult> Fail(string message) => BearerChallenge.Fail(Context, message);
}

using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace PinsDaemon.Host.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> on every request; on the log stream also
/// <c>?token=</c>, because browsers cannot set headers on a WebSocket. Failures never echo the
/// presented token, here or in any log line.
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenVerifier verifier,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    private const string BearerPrefix = "Bearer ";

    private static readonly ClaimsPrincipal Operator = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], SchemeName));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers.Authorization;
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
        else if (AcceptsQueryToken(Request) && Request.Query.TryGetValue("token", out var query))
        {
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

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = result.Failure?.Message ?? "Send 'Authorization: Bearer <token>'. The token is in the daemon's token file.",
            },
        });
    }

    /// <summary>Only the WebSocket log stream takes the token from the query string.</summary>
    private static bool AcceptsQueryToken(HttpRequest request) =>
        request.Path.StartsWithSegments("/logs", StringComparison.Ordinal);

    private static Task<AuthenticateResult> Fail(string message) => Task.FromResult(AuthenticateResult.Fail(message));
}

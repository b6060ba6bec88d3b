using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Auth;

/// <summary>
/// The page's session cookie, for every endpoint the token opens except the log stream (which
/// takes a ticket the session asks for). A cookie that names no live session is simply not a
/// credential: it was signed out or expired, and its 256-bit secret cannot be guessed, so it is
/// not counted as a failed authentication.
/// </summary>
internal sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SessionStore sessions,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Session";

    /// <summary>The claim that carries the session's id, so a ticket can be issued to it.</summary>
    public const string SessionClaim = "pinsdaemon:session";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (sessions.Use(SessionCookie.Read(Request)) is not { } session)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        Context.Features.Set(session);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator"), new Claim(SessionClaim, session.Id)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Not signed in",
                Detail = $"The session has ended (signed out, {SessionStore.IdleTimeout.TotalMinutes:0} minutes unused, or {SessionStore.MaxLifetime.TotalHours:0} hours old). Sign in again with POST {ApiPaths.Session}, or send 'Authorization: Bearer <token>'.",
            },
        });
    }

    /// <summary>
    /// Which scheme authenticates a request: the bearer token whenever an Authorization header
    /// is sent (API clients are unchanged, cookie or not) and always on the log stream (tickets,
    /// <c>?token=</c>); otherwise the session cookie when there is one.
    /// </summary>
    public static string SelectScheme(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers.Authorization.Count > 0
            || request.Path.StartsWithSegments("/logs", StringComparison.Ordinal)
            || SessionCookie.Read(request) is null)
        {
            return BearerTokenHandler.SchemeName;
        }

        return SchemeName;
    }
}

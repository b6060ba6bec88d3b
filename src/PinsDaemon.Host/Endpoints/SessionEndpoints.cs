using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Auth;

namespace PinsDaemon.Host.Endpoints;

/// <summary>
/// <c>/session</c>: the page trades the token for a session cookie (<c>POST</c>), reads its
/// anti-forgery token back after a reload (<c>GET</c>) and signs out (<c>DELETE</c>). These
/// endpoints check credentials themselves, so they are open to the fallback policy.
/// </summary>
internal static class SessionEndpoints
{
    /// <summary>A token is at most 4 KiB (AuthOptions.MaxTokenLength); JSON around it adds little.</summary>
    public const int MaxBodyBytes = 8 * 1024;

    public static IEndpointRouteBuilder MapSession(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup(ApiPaths.Session).AllowAnonymous();
        session.MapPost(string.Empty, SignInAsync).WithMetadata(new NoAntiForgery());
        session.MapGet(string.Empty, GetSession);
        session.MapDelete(string.Empty, SignOut);
        return app;
    }

    private static async Task<IResult> SignInAsync(
        HttpContext context,
        TokenVerifier verifier,
        SessionStore sessions,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        NoStore(context);
        var audit = loggers.CreateLogger(Audit.Category);
        var client = Audit.Client(context);
        var read = await JsonRequestBody.ReadAsync(context.Request, MaxBodyBytes, SessionRequestParser.Expected, cancellationToken);
        if (read.IsRefused)
        {
            audit.LogWarning("Sign-in refused for {Client}: {Refusal}", client, read.Refusal);
            return read.Problem;
        }

        var body = read.Bytes;
        var parsed = SessionRequestParser.TryParse(body, out var token, out var problem);
        // The body held the token: it does not wait in memory for the garbage collector.
        Array.Clear(body);
        if (!parsed)
        {
            return ApiProblems.BadRequest("Invalid sign-in request", $"{problem} {SessionRequestParser.Expected}");
        }

        if (!verifier.Verify(token))
        {
            // Counted and audited like any wrong credential; the right token is never refused.
            if (await ThrottleMiddlewareExtensions.RefuseIfThrottledAsync(context))
            {
                return Results.Empty;
            }

            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Unauthorized",
                detail: $"The token is not valid. This daemon's token is {verifier.Where}.");
        }

        var created = sessions.Create();
        SessionCookie.Write(context.Response, context.Request, created.Secret);
        audit.LogInformation("Signed in from {Client}: a page session started", client);
        return TypedResults.Ok(new SessionResponse(created.CsrfToken));
    }

    /// <summary>A page that was reloaded has lost its anti-forgery token from memory: it reads it again here.</summary>
    private static Results<Ok<SessionResponse>, ProblemHttpResult> GetSession(HttpContext context, SessionStore sessions)
    {
        NoStore(context);
        if (sessions.Use(SessionCookie.Read(context.Request)) is not { } session)
        {
            return NotSignedIn();
        }

        return TypedResults.Ok(new SessionResponse(session.CsrfToken));
    }

    private static NoContent SignOut(HttpContext context, SessionStore sessions, ILoggerFactory loggers)
    {
        NoStore(context);
        // A live session got here with its X-CSRF-Token (UseSessionAntiForgery): another site's
        // page cannot sign a person out.
        if (sessions.Revoke(SessionCookie.Read(context.Request)))
        {
            loggers.CreateLogger(Audit.Category).LogInformation("Signed out from {Client}: a page session ended", Audit.Client(context));
        }

        SessionCookie.Clear(context.Response, context.Request);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotSignedIn() => TypedResults.Problem(
        statusCode: StatusCodes.Status401Unauthorized,
        title: "Not signed in",
        detail: $"There is no session, or it has ended (after {SessionStore.IdleTimeout.TotalMinutes:0} minutes unused, or {SessionStore.MaxLifetime.TotalHours:0} hours in all). Sign in with POST {ApiPaths.Session} and the token.");

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";
}

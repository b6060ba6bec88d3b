using Microsoft.AspNetCore.Authentication;

namespace PinsDaemon.Host.Auth;

/// <summary>
/// What both bearer schemes (the admin token, the metrics token) answer: a failure marks the
/// request for the failed-authentication throttle, and a challenge is a 401 problem with the
/// RFC 6750 <c>WWW-Authenticate</c> header, never echoing what was presented.
/// </summary>
internal static class BearerChallenge
{
    /// <summary>A failed attempt, counted by <see cref="FailedAuthThrottle"/>.</summary>
    public static Task<AuthenticateResult> Fail(HttpContext context, string message)
    {
        context.Items[BearerTokenHandler.FailedItemKey] = true;
        return Task.FromResult(AuthenticateResult.Fail(message));
    }

    /// <param name="result">The request's authentication: its failure message, if any, is the detail.</param>
    /// <param name="howTo">The detail when nothing (or nothing valid) was presented: how to authenticate.</param>
    public static Task WriteAsync(HttpContext context, IProblemDetailsService problems, AuthenticateResult result, string howTo)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = result.Failure?.Message ?? howTo,
            },
        }).AsTask();
    }
}

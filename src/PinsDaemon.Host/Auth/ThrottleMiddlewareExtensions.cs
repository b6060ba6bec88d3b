using Microsoft.AspNetCore.Authorization;

namespace PinsDaemon.Host.Auth;

internal static class ThrottleMiddlewareExtensions
{
    /// <summary>
    /// Counts and audits failed authentications, and answers 429 to an address that has had too
    /// many. Runs after authentication: only a request whose credentials failed is throttled, so
    /// the right token is never refused because of someone else's failures.
    /// </summary>
    public static IApplicationBuilder UseFailedAuthThrottle(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (!context.Items.ContainsKey(BearerTokenHandler.FailedItemKey)
                || context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                await next(context);
                return;
            }

            if (!await RefuseIfThrottledAsync(context))
            {
                await next(context);
            }
        });

    /// <summary>
    /// For a request whose credentials were wrong (here, or at sign-in, which checks the token
    /// itself): audits and counts the failure, or, when the address has had too many, writes the
    /// 429 and returns true.
    /// </summary>
    public static async Task<bool> RefuseIfThrottledAsync(HttpContext context)
    {
        // Resolved per request: building it validates the auth settings, which must fail at start, not at build.
        var throttle = context.RequestServices.GetRequiredService<FailedAuthThrottle>();
        var audit = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(Endpoints.Audit.Category);
        var client = FailedAuthThrottle.ClientKey(context.Connection.RemoteIpAddress);
        if (throttle.IsBlocked(client, out var retryAfter))
        {
            var seconds = FailedAuthThrottle.RetryAfterHeader(retryAfter);
            if (throttle.ShouldAuditThrottling(client))
            {
                audit.LogWarning("Failed authentications from {Client} throttled: further wrong credentials get 429 for {Seconds} s", client, seconds);
            }

            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = seconds;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many failed authentications",
                    Detail = $"This address sent too many wrong credentials; wrong ones are refused for {seconds} seconds. The right token is always accepted.",
                },
            });
            return true;
        }

        audit.LogWarning("Failed authentication from {Client} for {Method} {Path}", client, context.Request.Method, Endpoints.Audit.LogSafe(context.Request.Path.Value));
        throttle.RecordFailure(client);
        return false;
    }
}

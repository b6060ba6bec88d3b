using Microsoft.AspNetCore.Authorization;

namespace PinsDaemon.Host.Auth;

internal static class ThrottleMiddlewareExtensions
{
    /// <summary>Answers 429 to addresses with too many failed authentications; runs before authentication.</summary>
    public static IApplicationBuilder UseFailedAuthThrottle(this IApplicationBuilder app)
    {
        var problems = app.ApplicationServices.GetRequiredService<IProblemDetailsService>();
        var audit = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(Endpoints.Audit.Category);
        return app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                await next(context);
                return;
            }

            // Resolved per request: building it validates the auth settings, which must fail at start, not at build.
            var throttle = context.RequestServices.GetRequiredService<FailedAuthThrottle>();
            var client = FailedAuthThrottle.ClientKey(context.Connection.RemoteIpAddress);
            if (throttle.IsBlocked(client, out var retryAfter))
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = FailedAuthThrottle.RetryAfterHeader(retryAfter);
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many failed authentications",
                        Detail = $"This address sent too many wrong tokens. Try again in {FailedAuthThrottle.RetryAfterHeader(retryAfter)} seconds with the right one.",
                    },
                });
                return;
            }

            await next(context);
            if (context.Items.ContainsKey(BearerTokenHandler.FailedItemKey))
            {
                audit.LogWarning("Failed authentication from {Client} for {Method} {Path}", client, context.Request.Method, Endpoints.Audit.LogSafe(context.Request.Path.Value));
                throttle.RecordFailure(client);
            }
        });
    }
}

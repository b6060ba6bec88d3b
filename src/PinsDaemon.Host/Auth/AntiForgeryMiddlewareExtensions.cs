using PinsDaemon.Host.Endpoints;

namespace PinsDaemon.Host.Auth;

internal static class AntiForgeryMiddlewareExtensions
{
    /// <summary>
    /// A request authenticated by the session cookie that may change something (anything but
    /// GET, HEAD and OPTIONS) must carry the session's <c>X-CSRF-Token</c>, or gets 403. Another
    /// site's page can make the browser send the cookie (were SameSite ever not honoured) but
    /// cannot read the token or set the header. Bearer-token requests are not concerned: no
    /// browser adds an Authorization header on its own.
    /// </summary>
    public static IApplicationBuilder UseSessionAntiForgery(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var method = context.Request.Method;
            if (!(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
                && context.Features.Get<Session>() is { } session
                && context.GetEndpoint()?.Metadata.GetMetadata<NoAntiForgery>() is null
                && !SessionStore.CsrfMatches(session, context.Request.Headers[SessionCookie.CsrfHeader].ToString()))
            {
                await ApiProblems.MissingCsrfToken().ExecuteAsync(context);
                return;
            }

            await next(context);
        });
}

/// <summary>
/// Marks the one endpoint a cookie request may call without the header: signing in, which
/// proves the token itself (and which a page whose memory lost the header must still reach).
/// </summary>
internal sealed record NoAntiForgery;

namespace PinsDaemon.Host.Web;

/// <summary>Headers on every response that keep the page (and anything else served) to itself.</summary>
internal static class SecurityHeaders
{
    /// <summary>
    /// Only the daemon's own files run, style and connect (WebSockets included: 'self' covers
    /// ws: and wss: on the same host). No inline script or style anywhere, so text that slipped
    /// into the page as markup could still not run; no framing, so no clickjacking.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UsePinsSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(context);
        });
}

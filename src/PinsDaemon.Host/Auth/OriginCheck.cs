namespace PinsDaemon.Host.Auth;

/// <summary>Which web pages may open a log WebSocket.</summary>
internal static class OriginCheck
{
    /// <summary>
    /// True without an <c>Origin</c> header (not a browser), for the daemon's own page, and for
    /// origins listed in <c>Auth:AllowedOrigins</c>.
    /// </summary>
    /// <remarks>
    /// The daemon's own page is the origin the request was sent to: its scheme and its
    /// <c>Host</c> header (after a proxy listed in Network:KnownProxies has said the scheme).
    /// A browser sets both and no page can change either, so a page elsewhere never matches;
    /// a page that reached the daemon under another name through DNS rebinding does match, but
    /// has no credential there (the session cookie belongs to the real name, and tickets come
    /// only with the token or a session). Behind a proxy that rewrites Host, list the public
    /// origin in Auth:AllowedOrigins.
    /// </remarks>
    public static bool IsAllowed(HttpRequest request, IReadOnlyCollection<string> allowedOrigins)
    {
        var origins = request.Headers.Origin;
        if (origins.Count == 0)
        {
            return true;
        }

        if (origins.Count > 1)
        {
            return false;
        }

        var origin = origins[0] ?? string.Empty;
        return IsSameOrigin(origin, request) || allowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase);
    }

    private static bool IsSameOrigin(string origin, HttpRequest request) =>
        request.Host.HasValue
        && string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase);
}

using Microsoft.Net.Http.Headers;

namespace PinsDaemon.Host.Web;

/// <summary>
/// <c>GET /</c>, the page, and <c>GET /assets/{name}</c>, its script, style and icon. Both are
/// open to anyone: the page asks for the token itself, and neither says anything about the host.
/// </summary>
internal static class PageEndpoints
{
    /// <summary>Hashed names never change content, so a browser may keep them for a year without asking.</summary>
    private const string ImmutableCaching = "public, max-age=31536000, immutable";

    /// <summary>The page may be kept, but is checked (If-None-Match) every time, so it always names the current assets.</summary>
    private const string Revalidate = "no-cache";

    public static IEndpointRouteBuilder MapPage(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], GetPage).AllowAnonymous();
        app.MapMethods(StaticAssets.AssetsPath + "{name}", [HttpMethods.Get, HttpMethods.Head], GetAsset).AllowAnonymous();
        return app;
    }

    private static IResult GetPage(HttpContext context, StaticAssets assets) =>
        Serve(context, assets.Page, Revalidate);

    private static IResult GetAsset(string name, HttpContext context, StaticAssets assets) =>
        assets.TryGetAsset(name, out var file)
            ? Serve(context, file, ImmutableCaching)
            : TypedResults.NotFound();

    private static IResult Serve(HttpContext context, StaticFile file, string cacheControl)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = cacheControl;
        headers.ETag = file.ETag;
        headers.Vary = HeaderNames.AcceptEncoding;
        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0 && ifNoneMatch.ToString().Contains(file.ETag, StringComparison.Ordinal))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (AcceptsGzip(context.Request))
        {
            headers.ContentEncoding = "gzip";
            return TypedResults.Bytes(file.Gzipped, file.ContentType);
        }

        return TypedResults.Bytes(file.Content, file.ContentType);
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        var values = request.Headers.AcceptEncoding;
        return StringWithQualityHeaderValue.TryParseList(values, out var encodings)
            && encodings.Any(e => e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (e.Quality ?? 1) > 0);
    }
}

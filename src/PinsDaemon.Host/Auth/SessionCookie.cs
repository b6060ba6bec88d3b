namespace PinsDaemon.Host.Auth;

/// <summary>The page's session cookie and anti-forgery header, as the browser sees them.</summary>
internal static class SessionCookie
{
    /// <summary>
    /// Over HTTPS the <c>__Host-</c> prefix makes the browser refuse the cookie unless it is
    /// Secure, for the whole host and for no other domain; plain HTTP cannot carry that prefix.
    /// </summary>
    public const string SecureName = "__Host-pins-session";

    public const string PlainName = "pins-session";

    /// <summary>The header a cookie request must carry to change anything.</summary>
    public const string CsrfHeader = "X-CSRF-Token";

    public static string NameFor(HttpRequest request) => request.IsHttps ? SecureName : PlainName;

    /// <summary>The secret from this request's cookie, or null.</summary>
    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(NameFor(request), out var value) ? value : null;

    public static void Write(HttpResponse response, HttpRequest request, string secret) =>
        response.Cookies.Append(NameFor(request), secret, Options(request));

    public static void Clear(HttpResponse response, HttpRequest request) =>
        response.Cookies.Delete(NameFor(request), Options(request));

    /// <summary>
    /// HttpOnly: script cannot read it. SameSite=Strict: no other site's page makes the browser
    /// send it. Secure whenever the request came over HTTPS (directly, or through a proxy listed
    /// in Network:KnownProxies). No expiry: the browser forgets it when it closes, and the daemon
    /// ends it sooner (<see cref="SessionStore.IdleTimeout"/>).
    /// </summary>
    private static CookieOptions Options(HttpRequest request) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        IsEssential = true,
    };
}

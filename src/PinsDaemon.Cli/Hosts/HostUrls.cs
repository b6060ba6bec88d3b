using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace PinsDaemon.Cli.Hosts;

/// <summary>A daemon's base URL as a user gives it: <c>http(s)://host[:port][/path]</c>.</summary>
internal static class HostUrls
{
    public static bool TryParse(string text, [NotNullWhen(true)] out Uri? url, [NotNullWhen(false)] out string? problem)
    {
        url = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            problem = "a URL starts with https:// or http://, for example https://pi.local:5443";
            return false;
        }

        if (parsed.UserInfo.Length > 0 || parsed.Query.Length > 0 || parsed.Fragment.Length > 0)
        {
            problem = "the URL must not hold a user name, password, query or fragment (the token is read from stdin or a file)";
            return false;
        }

        // A base URL ends with '/', so the API's paths resolve below it (a daemon behind a proxy at /pins/).
        var builder = new UriBuilder(parsed);
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        url = builder.Uri;
        problem = null;
        return true;
    }

    /// <summary>True when a request to <paramref name="url"/> leaves this machine.</summary>
    public static bool IsNetworkFacing(Uri url) =>
        !url.IsLoopback && !(IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>How pins names a host in messages when it has no name (PINS_URL).</summary>
    public static string Label(Uri url) => url.GetLeftPart(UriPartial.Path).TrimEnd('/');
}

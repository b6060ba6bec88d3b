namespace PinsDaemon.Host.Auth;

/// <summary>
/// Endpoint metadata of a log WebSocket: it also takes credentials from the query string,
/// <c>?token=</c> (when <c>Auth:AllowQueryToken</c>) and <c>?ticket=</c>, because browsers cannot
/// set headers on a WebSocket. No other endpoint reads credentials from a URL.
/// </summary>
/// <param name="Stream">
/// The stream the request opens, from its route values (<c>/logs/{jobId}</c>), as tickets are
/// issued for it: a ticket opens exactly that stream. Null when the route value is not an id.
/// </param>
internal sealed record QueryCredentials(Func<HttpContext, string?> Stream);

internal static class QueryCredentialsExtensions
{
    public static TBuilder AcceptQueryCredentials<TBuilder>(this TBuilder builder, Func<HttpContext, string?> stream)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new QueryCredentials(stream));
}

using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Auth;
using PinsDaemon.Host.Configuration;
using PinsDaemon.Host.Streaming;

namespace PinsDaemon.Host.Endpoints;

/// <summary>
/// What every log WebSocket (<c>/logs/{id}</c>, <c>/fleet/rollouts/{id}/logs</c>) checks and
/// answers alike: credentials in the query string (<see cref="QueryCredentials"/>), the page's
/// origin, the connection limits, and the tickets that open it.
/// </summary>
internal static class LogStreamAccess
{
    /// <summary>
    /// Cross-site WebSocket hijacking: a page on another site could open the socket with the
    /// browser's credentials. Browsers always send Origin; only the daemon's own page and listed
    /// origins may connect (<see cref="OriginCheck"/>).
    /// </summary>
    public static ProblemHttpResult? RefuseForeignOrigin(HttpContext context, AuthOptions auth)
    {
        if (OriginCheck.IsAllowed(context.Request, auth.AllowedOrigins))
        {
            return null;
        }

        return TypedResults.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: "Origin not allowed",
            detail: "WebSocket connections from web pages are refused unless the page is the daemon's own or its origin is listed in Auth:AllowedOrigins.");
    }

    /// <summary>The answer when the limiter refused a stream; null when it was acquired.</summary>
    /// <param name="instead">What the client can do meanwhile, for when the daemon's total is reached.</param>
    public static ProblemHttpResult? RefuseOverLimit(LimitOutcome outcome, string instead) => outcome switch
    {
        LimitOutcome.PerAddressReached => TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many log streams",
            detail: "This address has the most log streams open that one address may have (Streaming:MaxConnectionsPerAddress). Close one first."),
        LimitOutcome.TotalReached => TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Too many log streams",
            detail: $"The daemon has the most log streams open that it allows (Streaming:MaxConnections). Try again later{instead}."),
        _ => null,
    };

    /// <summary>A single-use, 30-second ticket for <paramref name="stream"/> (its path), to connect with <c>?ticket=</c>.</summary>
    /// <param name="session">The page session asking (its tickets end with it), or null for a bearer-token client.</param>
    public static Results<Ok<TicketResponse>, ProblemHttpResult> IssueTicket(TicketStore tickets, string stream, string? session = null)
    {
        if (tickets.Issue(stream, session) is not { } issued)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many tickets",
                detail: $"{TicketStore.MaxOutstanding} tickets are outstanding. Use them, or wait {TicketStore.Lifetime.TotalSeconds:0} seconds for them to expire.");
        }

        return TypedResults.Ok(new TicketResponse(issued.Ticket, issued.ExpiresAt, $"{stream}?ticket={issued.Ticket}"));
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using PinsDaemon.Fleet.Rollouts;
using PinsDaemon.Host.Configuration;
using PinsDaemon.Host.Endpoints;
using PinsDaemon.Host.Streaming;

namespace PinsDaemon.Host.Fleet;

/// <summary>WebSocket <c>/fleet/rollouts/{id}/logs</c>: every host's log of a rollout, merged, resumable per host.</summary>
internal static partial class FleetLogsEndpoint
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static async Task<IResult> StreamAsync(
        HttpContext context,
        Guid rolloutId,
        IRequiredActor<FleetCoordinator> coordinator,
        ActorSystem system,
        LogConnectionLimiter limiter,
        IOptions<AuthOptions> auth,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers)
    {
        var id = rolloutId.ToString("D");
        if (!TryParseAfter(context.Request.Query["after"], out var after))
        {
            return ApiProblems.BadRequest(
                "Invalid 'after'",
                "'after' lists, per host, the last seq the client already has: ?after=pi-1:42,pi-2:17 (repeat 'after' or separate with commas). Omit it to get every line.");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return ApiProblems.BadRequest("WebSocket required", $"{context.Request.Path} streams over a WebSocket; GET /fleet/rollouts/{id} gives each host's job id for GET /jobs/{{id}}/log on that host.");
        }

        // Cross-site WebSocket hijacking, as on /logs: only listed origins may connect.
        var origin = context.Request.Headers.Origin;
        if (origin.Count > 0 && !auth.Value.AllowedOrigins.Contains(origin.ToString(), StringComparer.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Origin not allowed",
                detail: "WebSocket connections from web pages are refused unless their origin is listed in Auth:AllowedOrigins.");
        }

        object? answer;
        try
        {
            answer = await coordinator.ActorRef.Ask<object>(new RolloutProtocol.GetRollout(id), AskTimeout, context.RequestAborted);
        }
        catch (AskTimeoutException)
        {
            answer = null;
        }

        switch (answer)
        {
            case RolloutProtocol.RolloutNotFound:
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Rollout not found", detail: $"There is no rollout {id}.");
            case not RolloutProtocol.RolloutFound:
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Fleet coordinator unavailable", detail: "The fleet coordinator did not answer in time. Try again in a few seconds.");
        }

        switch (limiter.TryAcquire(Audit.Client(context), out var lease))
        {
            case LimitOutcome.PerAddressReached:
                return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many log streams", detail: "This address has the most log streams open that one address may have (Streaming:MaxConnectionsPerAddress). Close one first.");
            case LimitOutcome.TotalReached:
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Too many log streams", detail: "The daemon has the most log streams open that it allows (Streaming:MaxConnections). Try again later.");
        }

        using (lease)
        using (var socket = await context.WebSockets.AcceptWebSocketAsync())
        {
            var logger = loggers.CreateLogger("PinsDaemon.Host.Fleet.FleetLogSession");
            var session = new FleetLogSession(socket, id, after, coordinator.ActorRef, system, logger);
            await session.RunAsync(lifetime.ApplicationStopping, context.RequestAborted);
        }

        return Results.Empty;
    }

    /// <summary><c>host:seq</c> pairs, comma-separated or in repeated <c>after</c> values; each host at most once.</summary>
    internal static bool TryParseAfter(Microsoft.Extensions.Primitives.StringValues values, out Dictionary<string, long> after)
    {
        after = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            foreach (var pair in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = pair.LastIndexOf(':');
                if (colon <= 0
                    || !HostName().IsMatch(pair[..colon])
                    || !long.TryParse(pair.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
                    || !after.TryAdd(pair[..colon], seq)
                    || after.Count > RolloutRequestParser.MaxHosts)
                {
                    return false;
                }
            }
        }

        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex HostName();
}

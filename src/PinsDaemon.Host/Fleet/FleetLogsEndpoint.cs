using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Rollouts;
using PinsDaemon.Host.Configuration;
using PinsDaemon.Host.Endpoints;
using PinsDaemon.Host.Streaming;

namespace PinsDaemon.Host.Fleet;

/// <summary>WebSocket <c>/fleet/rollouts/{id}/logs</c>: every host's log of a rollout, merged, resumable per host.</summary>
internal static class FleetLogsEndpoint
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
        if (!FleetLogPositions.TryParse(context.Request.Query["after"], out var after))
        {
            return ApiProblems.BadRequest(
                "Invalid 'after'",
                "'after' lists, per host, the last seq the client already has: ?after=pi-1:42,pi-2:17 (repeat 'after' or separate with commas). Omit it to get every line.");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return ApiProblems.BadRequest("WebSocket required", $"{context.Request.Path} streams over a WebSocket; GET /fleet/rollouts/{id} gives each host's job id for GET /jobs/{{id}}/log on that host.");
        }

        if (LogStreamAccess.RefuseForeignOrigin(context, auth.Value) is { } foreign)
        {
            return foreign;
        }

        switch (await FleetEndpoints.AskAsync(coordinator.ActorRef, new RolloutProtocol.GetRollout(id), AskTimeout, context.RequestAborted))
        {
            case RolloutProtocol.RolloutNotFound:
                return FleetProblems.RolloutNotFound(id);
            case RolloutProtocol.RolloutRefused refused:
                return FleetProblems.Refused(refused);
            case not RolloutProtocol.RolloutFound:
                return FleetProblems.CoordinatorUnavailable();
        }

        if (LogStreamAccess.RefuseOverLimit(limiter.TryAcquire(Audit.Client(context), out var lease), string.Empty) is { } full)
        {
            return full;
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
}

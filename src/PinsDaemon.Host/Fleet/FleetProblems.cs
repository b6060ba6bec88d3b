using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Rollouts;

namespace PinsDaemon.Host.Fleet;

/// <summary>The fleet API's problem+json answers, shared by its endpoints and its WebSocket.</summary>
internal static class FleetProblems
{
    public static ProblemHttpResult NotAController() => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        title: "Not a controller",
        detail: "Rollouts are started and steered on a controller node (Fleet:Controller=true), with that node's token. This node only takes part in them.");

    public static ProblemHttpResult CoordinatorUnavailable() => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Fleet coordinator unavailable",
        detail: "The fleet coordinator did not answer in time: no controller may be reachable, or it is moving to another controller. Try again in a few seconds; GET /fleet/hosts shows the members.");

    public static ProblemHttpResult RolloutNotFound(string id) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Rollout not found",
        detail: $"There is no rollout {id}. GET /fleet/rollouts lists the rollouts the fleet keeps.");

    public static ProblemHttpResult Refused(RolloutProtocol.RolloutRefused refused) => TypedResults.Problem(
        statusCode: refused.Code switch
        {
            RolloutProblemCodes.Conflict => StatusCodes.Status409Conflict,
            RolloutProblemCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        },
        title: refused.Code switch
        {
            RolloutProblemCodes.Conflict => "Conflict",
            RolloutProblemCodes.Unavailable => "Fleet unavailable",
            RolloutProblemCodes.UnknownHosts => "Unknown hosts",
            _ => "No hosts",
        },
        detail: refused.Message,
        extensions: refused.RolloutId is { } rolloutId
            ? new Dictionary<string, object?> { ["code"] = refused.Code, ["rolloutId"] = rolloutId }
            : new Dictionary<string, object?> { ["code"] = refused.Code });
}

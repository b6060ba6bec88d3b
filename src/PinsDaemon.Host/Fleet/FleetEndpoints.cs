using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using PinsDaemon.Contracts;
using PinsDaemon.Fleet;
using PinsDaemon.Fleet.Agents;
using PinsDaemon.Fleet.Rollouts;
using PinsDaemon.Host.Auth;
using PinsDaemon.Host.Endpoints;

namespace PinsDaemon.Host.Fleet;

/// <summary>The fleet's HTTP API: rollouts on the controllers, the fleet's members everywhere.</summary>
internal static class FleetEndpoints
{
    /// <summary>
    /// Starting a rollout waits for two majority writes (5 s each at most); reads are answered
    /// from the coordinator's memory, wherever in the fleet it runs.
    /// </summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A host that does not answer for its summary within this is shown without one.</summary>
    private static readonly TimeSpan SummaryTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Host summaries asked at once: a large fleet is asked in waves, not all at the same moment.</summary>
    private const int SummaryParallelism = 16;

    /// <summary>A rollout request names at most 500 hosts of at most 63 characters: 64 KiB is ample.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapFleet(this IEndpointRouteBuilder app)
    {
        var rollouts = app.MapGroup(FleetPaths.Rollouts);
        rollouts.MapPost("", StartAsync);
        rollouts.MapGet("", ListAsync);
        rollouts.MapGet("/{rolloutId:guid}", GetAsync);
        foreach (var command in Enum.GetValues<RolloutCommand>())
        {
            rollouts.MapPost($"/{{rolloutId:guid}}/{command.ToString().ToLowerInvariant()}", (Guid rolloutId, HttpContext context, IRequiredActor<FleetCoordinator> coordinator, FleetSettings settings, ILoggerFactory loggers) =>
                SteerAsync(rolloutId, command, context, coordinator, settings, loggers));
        }

        rollouts.MapPost("/{rolloutId:guid}/ticket", IssueTicketAsync);
        // Map, not MapGet: WebSockets over HTTP/2 arrive as CONNECT requests.
        rollouts.Map("/{rolloutId:guid}/logs", FleetLogsEndpoint.StreamAsync)
            .AcceptQueryCredentials(context => context.GetRouteValue("rolloutId") is string text && Guid.TryParse(text, out var id) ? FleetPaths.Logs(Id(id)) : null);
        app.MapGet(FleetPaths.Hosts, ListHostsAsync);
        return app;
    }

    private static string Id(Guid rolloutId) => rolloutId.ToString("D");

    /// <summary><c>POST /fleet/rollouts</c>: 202 with the rollout id once the rollout is recorded on a majority of nodes.</summary>
    private static async Task<Results<Accepted<RolloutAccepted>, ProblemHttpResult>> StartAsync(
        HttpContext context,
        IRequiredActor<FleetCoordinator> coordinator,
        FleetSettings settings,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var audit = loggers.CreateLogger(Audit.Category);
        var client = Audit.Client(context);
        if (!settings.Controller)
        {
            audit.LogWarning("Rollout refused for {Client}: this node is not a controller", client);
            return FleetProblems.NotAController();
        }

        var body = await JsonRequestBody.ReadAsync(context.Request, MaxBodyBytes, RolloutRequestParser.Expected, cancellationToken);
        if (body.IsRefused)
        {
            audit.LogWarning("Rollout refused for {Client}: {Refusal}", client, body.Refusal);
            return body.Problem;
        }

        if (!RolloutRequestParser.TryParse(body.Bytes, out var spec, out var problem))
        {
            audit.LogWarning("Rollout refused for {Client}: invalid body ({Problem})", client, problem);
            return ApiProblems.BadRequest("Invalid rollout request", $"{problem} {RolloutRequestParser.Expected}");
        }

        switch (await AskAsync(coordinator.ActorRef, new RolloutProtocol.StartRollout(spec, client), StartTimeout, cancellationToken))
        {
            case RolloutProtocol.RolloutFound found:
                var id = found.Rollout.RolloutId;
                audit.LogInformation("Rollout accepted for {Client}: rollout {RolloutId} of {Hosts} hosts (dry run: {DryRun})", client, id, found.Rollout.Hosts.Count, spec.DryRun);
                return TypedResults.Accepted(FleetPaths.Rollout(id), new RolloutAccepted(id, FleetPaths.Rollout(id), FleetPaths.Logs(id)));
            case RolloutProtocol.RolloutRefused refused:
                audit.LogWarning("Rollout refused for {Client}: {Code}: {Message}", client, refused.Code, refused.Message);
                return FleetProblems.Refused(refused);
            default:
                audit.LogError("Rollout failed for {Client}: the fleet coordinator did not answer", client);
                return FleetProblems.CoordinatorUnavailable();
        }
    }

    private static async Task<Results<Ok<IReadOnlyList<RolloutView>>, ProblemHttpResult>> ListAsync(
        IRequiredActor<FleetCoordinator> coordinator,
        CancellationToken cancellationToken)
    {
        return await AskAsync(coordinator.ActorRef, RolloutProtocol.ListRollouts.Instance, ReadTimeout, cancellationToken) switch
        {
            RolloutProtocol.RolloutList list => TypedResults.Ok<IReadOnlyList<RolloutView>>(list.Rollouts.Select(r => r.ToView()).ToArray()),
            RolloutProtocol.RolloutRefused refused => FleetProblems.Refused(refused),
            _ => FleetProblems.CoordinatorUnavailable(),
        };
    }

    private static async Task<Results<Ok<RolloutView>, ProblemHttpResult>> GetAsync(
        Guid rolloutId,
        IRequiredActor<FleetCoordinator> coordinator,
        CancellationToken cancellationToken)
    {
        return await AskAsync(coordinator.ActorRef, new RolloutProtocol.GetRollout(Id(rolloutId)), ReadTimeout, cancellationToken) switch
        {
            RolloutProtocol.RolloutFound found => TypedResults.Ok(found.Rollout.ToView()),
            RolloutProtocol.RolloutNotFound => FleetProblems.RolloutNotFound(Id(rolloutId)),
            RolloutProtocol.RolloutRefused refused => FleetProblems.Refused(refused),
            _ => FleetProblems.CoordinatorUnavailable(),
        };
    }

    private static async Task<Results<Ok<RolloutView>, ProblemHttpResult>> SteerAsync(
        Guid rolloutId,
        RolloutCommand command,
        HttpContext context,
        IRequiredActor<FleetCoordinator> coordinator,
        FleetSettings settings,
        ILoggerFactory loggers)
    {
        var audit = loggers.CreateLogger(Audit.Category);
        var client = Audit.Client(context);
        var id = Id(rolloutId);
        if (!settings.Controller)
        {
            audit.LogWarning("Rollout {Command} refused for {Client}: this node is not a controller", command, client);
            return FleetProblems.NotAController();
        }

        switch (await AskAsync(coordinator.ActorRef, new RolloutProtocol.SteerRollout(id, command, client), ReadTimeout, context.RequestAborted))
        {
            case RolloutProtocol.RolloutFound found:
                audit.LogInformation("Rollout {Command} accepted for {Client}: rollout {RolloutId}", command, client, id);
                return TypedResults.Ok(found.Rollout.ToView());
            case RolloutProtocol.RolloutNotFound:
                return FleetProblems.RolloutNotFound(id);
            case RolloutProtocol.RolloutRefused refused:
                audit.LogWarning("Rollout {Command} refused for {Client}: rollout {RolloutId}: {Message}", command, client, id, refused.Message);
                return FleetProblems.Refused(refused);
            default:
                return FleetProblems.CoordinatorUnavailable();
        }
    }

    /// <summary><c>POST /fleet/rollouts/{id}/ticket</c>: a single-use, 30-second credential for this node's <c>/fleet/rollouts/{id}/logs?ticket=</c>.</summary>
    private static async Task<Results<Ok<TicketResponse>, ProblemHttpResult>> IssueTicketAsync(
        Guid rolloutId,
        IRequiredActor<FleetCoordinator> coordinator,
        TicketStore tickets,
        ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        // A page session's ticket dies with the session, as a job's does.
        var session = user.FindFirst(SessionAuthenticationHandler.SessionClaim)?.Value;
        return await AskAsync(coordinator.ActorRef, new RolloutProtocol.GetRollout(Id(rolloutId)), ReadTimeout, cancellationToken) switch
        {
            RolloutProtocol.RolloutFound => LogStreamAccess.IssueTicket(tickets, FleetPaths.Logs(Id(rolloutId)), session),
            RolloutProtocol.RolloutNotFound => FleetProblems.RolloutNotFound(Id(rolloutId)),
            RolloutProtocol.RolloutRefused refused => FleetProblems.Refused(refused),
            _ => FleetProblems.CoordinatorUnavailable(),
        };
    }

    /// <summary><c>GET /fleet/hosts</c>: every member, its reachability, and the summary it gives of itself.</summary>
    private static async Task<Results<Ok<IReadOnlyList<FleetHostView>>, ProblemHttpResult>> ListHostsAsync(
        IRequiredActor<FleetCoordinator> coordinator,
        ActorSystem system,
        CancellationToken cancellationToken)
    {
        if (await AskAsync(coordinator.ActorRef, RolloutProtocol.ListMembers.Instance, ReadTimeout, cancellationToken) is not RolloutProtocol.MemberList list)
        {
            return FleetProblems.CoordinatorUnavailable();
        }

        var summaries = new FleetHostSummary?[list.Members.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, list.Members.Count),
            new ParallelOptions { MaxDegreeOfParallelism = SummaryParallelism, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var member = list.Members[index];
                if (member.Reachable && member.Status == "up")
                {
                    var agent = system.ActorSelection($"{member.Address}/user/{AgentProtocol.ActorName}");
                    try
                    {
                        var report = await agent.Ask<AgentProtocol.HostSummaryReport>(AgentProtocol.GetHostSummary.Instance, SummaryTimeout, ct);
                        summaries[index] = report.Summary;
                    }
                    catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException or ActorNotFoundException)
                    {
                        // Shown without a summary: the member list itself says whether it is reachable.
                    }
                }
            });

        return TypedResults.Ok<IReadOnlyList<FleetHostView>>(list.Members
            .Select((member, index) => new FleetHostView(member.Name, member.Address, member.Roles, member.Status, member.Reachable, summaries[index]))
            .ToArray());
    }

    /// <summary>Asks the coordinator with a bounded timeout; null when no answer came in time.</summary>
    internal static async Task<RolloutProtocol.IRolloutReply?> AskAsync(IActorRef coordinator, object message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await coordinator.Ask<RolloutProtocol.IRolloutReply>(message, timeout, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}

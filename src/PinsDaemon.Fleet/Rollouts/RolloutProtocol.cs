using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Serialization;

namespace PinsDaemon.Fleet.Rollouts;

/// <summary>
/// What the HTTP API asks the <see cref="FleetCoordinator"/> (through the singleton proxy, so
/// possibly across the network), and its answers.
/// </summary>
public static class RolloutProtocol
{
    /// <summary>Every answer of the coordinator: what an ask expects back, so a wrong answer fails loudly.</summary>
    public interface IRolloutReply : IFleetMessage;

    /// <summary>Answered with <see cref="RolloutFound"/> (once replicated to a majority) or <see cref="RolloutRefused"/>.</summary>
    public sealed record StartRollout(RolloutRequest Spec, string Client) : IFleetMessage;

    /// <summary>Answered with <see cref="RolloutFound"/> or <see cref="RolloutNotFound"/>.</summary>
    public sealed record GetRollout(string RolloutId) : IFleetMessage;

    /// <summary>Answered with <see cref="RolloutList"/>, newest first.</summary>
    public sealed record ListRollouts : IFleetMessage
    {
        public static readonly ListRollouts Instance = new();
    }

    /// <summary>Answered with <see cref="RolloutFound"/>, <see cref="RolloutNotFound"/> or <see cref="RolloutRefused"/>.</summary>
    public sealed record SteerRollout(string RolloutId, RolloutCommand Command, string Client) : IFleetMessage;

    public sealed record RolloutFound(RolloutRecord Rollout) : IRolloutReply;

    public sealed record RolloutNotFound(string RolloutId) : IRolloutReply;

    public sealed record RolloutList(IReadOnlyList<RolloutRecord> Rollouts) : IRolloutReply;

    /// <summary>Refused, with a stable <paramref name="Code"/> (<see cref="RolloutProblemCodes"/>) and the rollout concerned, if any.</summary>
    public sealed record RolloutRefused(string Code, string Message, string? RolloutId = null) : IRolloutReply;

    /// <summary>The fleet's members as the coordinator sees them. Answered with <see cref="MemberList"/>.</summary>
    public sealed record ListMembers : IFleetMessage
    {
        public static readonly ListMembers Instance = new();
    }

    public sealed record MemberList(IReadOnlyList<MemberInfo> Members) : IRolloutReply;

    /// <param name="Name">Null until the node's agent has answered.</param>
    public sealed record MemberInfo(string? Name, string Address, IReadOnlyList<string> Roles, string Status, bool Reachable) : IFleetMessage;
}

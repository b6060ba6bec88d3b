using PinsDaemon.Contracts;
using PinsDaemon.Fleet.Serialization;

namespace PinsDaemon.Fleet.Rollouts;

/// <summary>
/// One host of a rollout as the coordinator records it. Immutable: each change is a new entry in a
/// new <see cref="RolloutRecord"/>, replicated with a majority write.
/// </summary>
/// <param name="Address">The node's Akka address when it was last resolved; its agent lives there.</param>
/// <param name="Incarnation">The node's unique id when its job started: a rebooted node comes back with another.</param>
/// <param name="AwaySince">While <see cref="Rejoining"/>: when the node left or stopped answering.</param>
/// <param name="AwayReason">While <see cref="Rejoining"/>: <c>nodeLeft</c> or <c>nodeUnreachable</c>, the reason if it never comes back.</param>
public sealed record HostEntry(
    string Host,
    int Group,
    HostRolloutState State,
    string? Address = null,
    long? Incarnation = null,
    JobId? JobId = null,
    string? Reason = null,
    string? Message = null,
    string? Step = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    bool? RebootRequired = null,
    DateTimeOffset? RebootRequestedAt = null,
    DateTimeOffset? AwaySince = null,
    string? AwayReason = null)
{
    public bool IsFinal => State is HostRolloutState.Succeeded or HostRolloutState.Failed or HostRolloutState.Skipped or HostRolloutState.Unreachable;

    /// <summary>Counts against <c>maxFailures</c>.</summary>
    public bool IsFailure => State is HostRolloutState.Failed or HostRolloutState.Unreachable;

    public const string Rebooting = "rebooting";

    /// <summary>
    /// The node went away while its job ran. The job runs on outside the daemon (the run model),
    /// so the rollout waits for the node to come back and report how it ended.
    /// </summary>
    public const string Rejoining = "rejoining";
}

/// <summary>A rollout: what was asked (its hosts named), where it is, and every host. Replicated as one value.</summary>
public sealed record RolloutRecord(
    string RolloutId,
    RolloutRequest Spec,
    RolloutStatus Status,
    DateTimeOffset CreatedAt,
    IReadOnlyList<HostEntry> Hosts,
    DateTimeOffset? FinishedAt = null,
    string? Reason = null) : IFleetMessage
{
    public int Failures => Hosts.Count(host => host.IsFailure);

    /// <summary>Running or paused: a new rollout waits for this one.</summary>
    public bool IsActive => FinishedAt is null;

    public HostEntry? Find(string host) => Hosts.FirstOrDefault(entry => entry.Host == host);

    public RolloutRecord WithHost(HostEntry entry) =>
        this with { Hosts = Hosts.Select(existing => existing.Host == entry.Host ? entry : existing).ToArray() };

    public RolloutView ToView() => new(
        RolloutId,
        Status,
        Spec.DryRun,
        Spec.Mode,
        Spec.Autoremove,
        Spec.Canary,
        Spec.BatchSize,
        Spec.MaxFailures,
        Spec.Reboot,
        CreatedAt,
        FinishedAt,
        Reason,
        Failures,
        Hosts.Select(host => new RolloutHostView(
            host.Host,
            host.State,
            host.Group,
            host.JobId?.ToString(),
            host.Reason,
            host.Message,
            host.Step,
            host.StartedAt,
            host.FinishedAt,
            host.RebootRequired)).ToArray());
}

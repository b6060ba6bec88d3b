namespace PinsDaemon.Contracts;

/// <summary>What a rollout is doing. <see cref="Running"/> and <see cref="Paused"/> are not final.</summary>
public enum RolloutStatus
{
    Running,

    /// <summary>Starts no new host until resumed; hosts already running finish.</summary>
    Paused,

    /// <summary>Every host was handled; failures, if any, stayed within <c>maxFailures</c>.</summary>
    Completed,

    /// <summary>Failures exceeded <c>maxFailures</c>: no new host was started, the rest are <c>skipped</c>.</summary>
    Failed,

    /// <summary>Cancelled on request: no new host was started, the rest are <c>skipped</c>.</summary>
    Cancelled,
}

/// <summary>Where one host of a rollout is.</summary>
public enum HostRolloutState
{
    /// <summary>Not started yet.</summary>
    Pending,

    /// <summary>Its job runs (or it reboots, with <c>step</c> <c>rebooting</c>).</summary>
    Running,

    Succeeded,

    /// <summary>Its job did not succeed, or it did not come back from a reboot (see <c>reason</c>).</summary>
    Failed,

    /// <summary>Never started: the rollout stopped or was cancelled first.</summary>
    Skipped,

    /// <summary>Its node was unreachable or gone when it was due or while its job ran.</summary>
    Unreachable,
}

/// <summary>Whether a rollout reboots hosts whose upgrade asks for it.</summary>
public enum RebootPolicy
{
    Never,

    /// <summary>Reboot a host when its apply says a reboot is required and the host allows reboots; wait for it to come back.</summary>
    IfRequired,
}

/// <summary>The answer to <c>POST /fleet/rollouts</c>.</summary>
public sealed record RolloutAccepted(string RolloutId, string StatusUrl, string LogsUrl);

/// <summary>One host of a rollout, as <c>GET /fleet/rollouts/{id}</c> shows it.</summary>
/// <param name="Host">The node's name (<c>Fleet:NodeName</c>).</param>
/// <param name="Group">0 for the canaries (when there are any), then one number per batch, in order.</param>
/// <param name="JobId">The job on that host once it started (<c>GET /jobs/{id}</c> on that host); null before.</param>
/// <param name="Reason">A stable code when it did not succeed or was skipped (e.g. <c>maxFailuresExceeded</c>, <c>nodeUnreachable</c>, or the job's own reason).</param>
/// <param name="Step"><c>rebooting</c> while a running host reboots; null otherwise.</param>
/// <param name="RebootRequired">After an apply: whether the host asked for a reboot; null when unknown.</param>
public sealed record RolloutHostView(
    string Host,
    HostRolloutState State,
    int Group,
    string? JobId,
    string? Reason,
    string? Message,
    string? Step,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool? RebootRequired);

/// <summary>A rollout, as <c>GET /fleet/rollouts/{id}</c> (and, in a list, <c>GET /fleet/rollouts</c>) shows it.</summary>
/// <param name="Mode">Each host's job mode: <c>upgrade</c> or <c>full-upgrade</c>, as <see cref="RolloutRequest.Mode"/>.</param>
/// <param name="Autoremove">Whether each host's job also autoremoves, as <see cref="RolloutRequest.Autoremove"/>.</param>
/// <param name="FinishedAt">Set once no host runs and none will start; null before.</param>
public sealed record RolloutView(
    string RolloutId,
    RolloutStatus Status,
    bool DryRun,
    string Mode,
    bool Autoremove,
    int Canary,
    int BatchSize,
    int MaxFailures,
    RebootPolicy Reboot,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    string? Reason,
    int Failures,
    IReadOnlyList<RolloutHostView> Hosts);

/// <summary>One member of the fleet, as <c>GET /fleet/hosts</c> shows it.</summary>
/// <param name="Name">The node's <c>Fleet:NodeName</c>; null while it has not answered yet.</param>
/// <param name="Address">Its Akka address, e.g. <c>akka.ssl.tcp://pinsdaemon@10.0.0.5:2552</c>.</param>
/// <param name="Status">Akka membership status: <c>joining</c>, <c>up</c>, <c>leaving</c>, <c>exiting</c>, <c>down</c>, ...</param>
/// <param name="Reachable">False when the failure detector of some member lost it.</param>
/// <param name="Summary">Its host summary; null when it could not be asked (unreachable, slow).</param>
public sealed record FleetHostView(
    string? Name,
    string Address,
    IReadOnlyList<string> Roles,
    string Status,
    bool Reachable,
    FleetHostSummary? Summary);

/// <summary>What a host says about itself. Each field is null when unknown.</summary>
/// <param name="PendingUpdates">Packages an upgrade would change, as its <c>GET /host</c> says (<c>pendingUpdates.count</c>).</param>
/// <param name="PendingSecurityUpdates">Of those, packages from a security archive (<c>pendingUpdates.securityCount</c>).</param>
/// <param name="PendingUpdatesCheckedAt">When the check they come from finished.</param>
/// <param name="RebootRequired">Whether <c>/run/reboot-required</c> exists.</param>
/// <param name="LastSuccess">When its last successful apply finished.</param>
/// <param name="RunningJobId">The job running on it now, if any.</param>
/// <param name="RebootAllowed">Whether the host lets a rollout reboot it (<c>reboot: "ifRequired"</c>).</param>
public sealed record FleetHostSummary(
    int? PendingUpdates,
    int? PendingSecurityUpdates,
    DateTimeOffset? PendingUpdatesCheckedAt,
    bool? RebootRequired,
    DateTimeOffset? LastSuccess,
    string? RunningJobId,
    bool RebootAllowed);

/// <summary>
/// The stable <c>code</c> of a refused rollout request (problem+json), with the rollout concerned
/// in <c>rolloutId</c> when there is one (the rollout that runs, on a <see cref="Conflict"/>).
/// </summary>
public static class RolloutProblemCodes
{
    /// <summary>409: another rollout runs or is paused (one at a time), or it cannot do that now.</summary>
    public const string Conflict = "conflict";

    /// <summary>400: hosts named that are not members (or not answering yet).</summary>
    public const string UnknownHosts = "unknownHosts";

    /// <summary>400: <c>"all"</c>, and no host is up yet.</summary>
    public const string NoHosts = "noHosts";

    /// <summary>503: no majority of the fleet, or the coordinator is still starting.</summary>
    public const string Unavailable = "unavailable";
}

/// <summary>The API's paths for one rollout, as its answers link them.</summary>
public static class FleetPaths
{
    public const string Rollouts = "/fleet/rollouts";

    public const string Hosts = "/fleet/hosts";

    public static string Rollout(string rolloutId) => $"{Rollouts}/{rolloutId}";

    public static string Logs(string rolloutId) => $"{Rollouts}/{rolloutId}/logs";

    /// <summary><c>POST</c>: pause, resume or cancel the rollout.</summary>
    public static string Command(string rolloutId, RolloutCommand command) => $"{Rollouts}/{rolloutId}/{command.ToString().ToLowerInvariant()}";

    /// <summary><c>POST</c>: a single-use ticket for that node's <see cref="Logs"/> (<c>?ticket=</c>), for clients that cannot send a header.</summary>
    public static string Ticket(string rolloutId) => $"{Rollouts}/{rolloutId}/ticket";
}

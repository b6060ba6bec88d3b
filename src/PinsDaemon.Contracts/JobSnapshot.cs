namespace PinsDaemon.Contracts;

/// <summary>
/// What is known about a job at one moment: the body of <c>GET /jobs/{id}</c> and, in the same
/// shape, the job's <c>job.json</c> on disk.
/// </summary>
public sealed record JobSnapshot(
    JobId JobId,
    JobStatus Status,
    bool DryRun,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    long LineCount,
    string? Message,
    bool LogIncomplete = false,
    IReadOnlyList<AuditEntry>? Audit = null)
{
    /// <summary>Attempts to act on the job, oldest first; never null.</summary>
    public IReadOnlyList<AuditEntry> Audit { get; init; } = Audit ?? [];

    /// <summary>
    /// What the job runs: <c>upgrade</c> (<c>apt-get upgrade --with-new-pkgs</c>) or
    /// <c>full-upgrade</c> (may also remove packages). Jobs recorded before modes existed were upgrades.
    /// </summary>
    public string Mode { get; init; } = UpgradeModes.Upgrade;

    /// <summary>Whether the job also removes what is no longer needed (<c>apt-get autoremove</c>) after a successful upgrade; a dry run shows what it would remove.</summary>
    public bool Autoremove { get; init; }

    /// <summary>What started the job: <c>api</c> or <c>schedule</c> (<see cref="JobTriggers"/>). Jobs recorded before triggers existed were started over the API.</summary>
    public string Trigger { get; init; } = JobTriggers.Api;

    /// <summary>
    /// Who runs the upgrade, outside the daemon: <c>systemd</c> (a unit of its own) or
    /// <c>detached</c> (a session of its own). Null until the run started, and for jobs recorded
    /// before runs had files of their own.
    /// </summary>
    public string? Supervisor { get; init; }

    /// <summary>
    /// A stable code for why the job failed, was cancelled, timed out or was interrupted
    /// (e.g. <c>lockHeld</c>, <c>runnerLost</c>); null otherwise.
    /// </summary>
    public string? Reason { get; init; }

    /// <summary>Something a person should know while the job runs (e.g. no output for a long time).</summary>
    public string? Warning { get; init; }

    public JobProgress? Progress { get; init; }

    /// <summary>
    /// Whether <c>POST /jobs/{id}/cancel</c> would be accepted now: the job runs, dpkg has not
    /// started changing the system, and no stop was asked for yet. False once it has ended.
    /// </summary>
    public bool Cancellable { get; init; }

    /// <summary>A succeeded dry run's plan: what a real upgrade would do, package by package. Null when unknown, and for an apply.</summary>
    public IReadOnlyList<PlanEntry>? Plan { get; init; }

    /// <summary>A succeeded dry run's packages the upgrade keeps back (held, or needing a new dependency). Null when unknown, and for an apply.</summary>
    public IReadOnlyList<string>? KeptBack { get; init; }

    /// <summary>A succeeded dry run's packages installed automatically and no longer needed (what <c>apt autoremove</c> would remove). Null when unknown, and for an apply.</summary>
    public IReadOnlyList<string>? Autoremovable { get; init; }

    /// <summary>What an apply changed; null when unknown, and for a dry run.</summary>
    public IReadOnlyList<UpgradedPackage>? Upgraded { get; init; }

    /// <summary>What an apply removed (a full-upgrade's removals, autoremove), from dpkg's database; null when unknown, and for a dry run.</summary>
    public IReadOnlyList<RemovedPackage>? Removed { get; init; }

    /// <summary>After a succeeded apply: whether the machine needs a reboot (<c>/run/reboot-required</c>). Null when unknown.</summary>
    public bool? RebootRequired { get; init; }

    public IReadOnlyList<string>? RebootRequiredPackages { get; init; }

    /// <summary>After an apply, where needrestart is installed: services still running old code.</summary>
    public IReadOnlyList<string>? ServicesNeedingRestart { get; init; }

    /// <summary>
    /// This job's notifications, one per event and target (<c>Notifications:Targets</c>); empty
    /// when none were due. Only <c>GET /jobs/{id}</c> fills it: null in lists and on disk, and
    /// when the notifier did not answer in time.
    /// </summary>
    public IReadOnlyList<NotificationDelivery>? Notifications { get; init; }
}

namespace PinsDaemon.Contracts;

/// <summary>
/// The body of <c>GET /host</c>: what the machine is, whether it needs a reboot, and what the
/// job history says about it. Facts the daemon could not read are <c>null</c>, never guessed.
/// </summary>
/// <param name="Architecture">Debian's name for the machine's architecture: <c>amd64</c>, <c>arm64</c>, <c>armhf</c>, ...</param>
/// <param name="BootId">The kernel's random id of this boot (<c>/proc/sys/kernel/random/boot_id</c>): it changes with every reboot.</param>
/// <param name="RebootRequiredPackages">The packages that asked for the reboot (<c>/run/reboot-required.pkgs</c>); null when no reboot is required or the file says nothing.</param>
/// <param name="LastSuccessfulApply">The newest apply that succeeded; null when the history has none.</param>
/// <param name="RunningJob">The job running now, if any.</param>
/// <param name="PendingUpdates">What the last check found; null when unknown (see <see cref="PendingUpdates"/>).</param>
public sealed record HostStatus(
    OsRelease? Os,
    string? Kernel,
    string Architecture,
    string? BootId,
    DateTimeOffset? BootedAt,
    double? UptimeSeconds,
    bool RebootRequired,
    IReadOnlyList<string>? RebootRequiredPackages,
    HostJob? LastSuccessfulApply,
    HostJob? RunningJob,
    PendingUpdates? PendingUpdates)
{
    /// <summary>When a reboot asked for with <c>POST /reboot</c> is due; null when none is scheduled.</summary>
    public DateTimeOffset? RebootScheduledAt { get; init; }

    /// <summary>Whether this daemon may reboot its machine (<c>Host:AllowReboot</c>), so <c>POST /reboot</c> is not refused with 403.</summary>
    public bool RebootAllowed { get; init; }
}

/// <summary>The distribution, from <c>/etc/os-release</c>.</summary>
/// <param name="Id">e.g. <c>debian</c>, <c>raspbian</c>, <c>ubuntu</c>.</param>
/// <param name="VersionId">e.g. <c>12</c>.</param>
/// <param name="VersionCodename">e.g. <c>bookworm</c>.</param>
/// <param name="PrettyName">e.g. <c>Debian GNU/Linux 12 (bookworm)</c>.</param>
public sealed record OsRelease(string? Id, string? VersionId, string? VersionCodename, string? PrettyName);

/// <summary>A job as <c>GET /host</c> refers to it; <c>GET /jobs/{id}</c> has the rest.</summary>
public sealed record HostJob(
    JobId JobId,
    JobStatus Status,
    bool DryRun,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    JobProgress? Progress,
    string StatusUrl);

/// <summary>
/// Updates waiting, as the last check (the newest successful dry run) found them. Unknown
/// (<c>null</c> in <see cref="HostStatus"/>) until a check has succeeded, and again once an apply
/// has run after it, because the apply may have installed some of them.
/// </summary>
/// <param name="CheckJobId">The dry run this comes from.</param>
/// <param name="CheckedAt">When that dry run finished.</param>
/// <param name="Count">Packages an upgrade would install or upgrade.</param>
/// <param name="SecurityCount">Of those, packages that come from a security archive.</param>
/// <param name="Held">Packages with an upgrade that are on hold (<c>apt-mark hold</c>); null when unknown.</param>
/// <param name="Autoremovable">Packages installed automatically and no longer needed (<c>apt autoremove</c> would remove them); null when unknown.</param>
public sealed record PendingUpdates(
    JobId CheckJobId,
    DateTimeOffset CheckedAt,
    int Count,
    int SecurityCount,
    IReadOnlyList<PendingUpdate> Packages,
    IReadOnlyList<string>? Held,
    IReadOnlyList<string>? Autoremovable);

/// <summary>One package an upgrade would change.</summary>
/// <param name="Origin"><c>security</c> when the new version comes from a security archive, otherwise <c>other</c>.</param>
/// <param name="Source">Where apt would take it from, as apt prints it, e.g. <c>Debian-Security:12/stable-security</c>.</param>
/// <param name="Action"><c>upgrade</c>, or <c>install</c> for a new package the upgrade pulls in.</param>
public sealed record PendingUpdate(string Package, string? From, string? To, string? Arch, string Origin, string? Source, string Action);

/// <summary>The answer to <c>POST /reboot</c> and <c>DELETE /reboot</c>: when the machine reboots, null when no reboot is scheduled.</summary>
public sealed record RebootStatus(DateTimeOffset? RebootAt);

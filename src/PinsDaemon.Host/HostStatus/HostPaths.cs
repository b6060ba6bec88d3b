namespace PinsDaemon.Host.HostStatus;

/// <summary>
/// Where the facts of <c>GET /host</c> and the apt metrics come from. Every one is world-readable
/// on Debian, so the unprivileged daemon reads them directly. Not settings: tests replace them.
/// </summary>
internal sealed record HostPaths
{
    public string[] OsRelease { get; init; } = ["/etc/os-release", "/usr/lib/os-release"];

    public string KernelRelease { get; init; } = "/proc/sys/kernel/osrelease";

    public string Uptime { get; init; } = "/proc/uptime";

    public string BootId { get; init; } = "/proc/sys/kernel/random/boot_id";

    /// <summary>PID 1's stat: its start time marks this system's boot, a container's too.</summary>
    public string InitStat { get; init; } = "/proc/1/stat";

    /// <summary>Created by packages' postinst scripts (update-notifier-common's convention, kept by Debian).</summary>
    public string RebootRequired { get; init; } = "/run/reboot-required";

    public string RebootRequiredPackages { get; init; } = "/run/reboot-required.pkgs";

    /// <summary>dpkg's database: which packages are on hold.</summary>
    public string DpkgStatus { get; init; } = "/var/lib/dpkg/status";

    /// <summary>
    /// When the package lists were last updated, first that exists wins: the order node_exporter's
    /// <c>apt_info.py</c> uses for <c>apt_package_cache_timestamp_seconds</c>.
    /// </summary>
    public string[] PackageCacheStamps { get; init; } =
    [
        "/var/lib/apt/periodic/update-success-stamp",
        "/var/lib/apt/periodic/update-stamp",
        "/var/lib/apt/lists/partial",
    ];
}

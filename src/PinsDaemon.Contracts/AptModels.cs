namespace PinsDaemon.Contracts;

/// <summary>Where a run is, as <c>GET /jobs/{id}</c> and the <c>progress</c> frames report it.</summary>
/// <param name="Phase"><c>update</c>, <c>download</c> or <c>install</c>.</param>
/// <param name="Percent">apt's own estimate for the phase, 0–100.</param>
/// <param name="Package">The package being worked on, when apt says.</param>
/// <param name="Message">apt's text, e.g. "Retrieving file 3 of 12" or "Unpacking zip (amd64)".</param>
public sealed record JobProgress(string Phase, double? Percent, string? Package, string? Message);

/// <summary>One line of a dry run's plan: what <c>apt-get -s upgrade</c> would do to one package.</summary>
/// <param name="Action"><c>upgrade</c>, <c>install</c> (new package), <c>remove</c>, <c>purge</c> or <c>configure</c>.</param>
/// <param name="From">The installed version; null for a new package.</param>
/// <param name="To">The version it would get; null when removed.</param>
/// <param name="Origin">Where it comes from, as apt prints it, e.g. <c>Debian-Security:12/stable-security</c>.</param>
public sealed record PlanEntry(string Package, string? From, string? To, string? Origin, string? Arch, string Action);

/// <summary>A package an apply changed: <paramref name="From"/> is null for a newly installed one.</summary>
public sealed record UpgradedPackage(string Package, string? From, string To);

/// <summary>A package an apply removed, with the version that was installed.</summary>
public sealed record RemovedPackage(string Package, string From);

/// <summary>The values of a job's <c>mode</c>: what <c>POST /upgrade</c> accepts and <c>GET /jobs/{id}</c> reports.</summary>
public static class UpgradeModes
{
    public const string Upgrade = "upgrade";

    public const string FullUpgrade = "full-upgrade";

    public static readonly IReadOnlyList<string> All = [Upgrade, FullUpgrade];
}

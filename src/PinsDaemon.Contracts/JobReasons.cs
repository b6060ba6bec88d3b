namespace PinsDaemon.Contracts;

/// <summary>
/// The values a job's <c>reason</c> and <c>supervisor</c> can take: a contract clients match on,
/// so the API document lists them and a test keeps the daemon's decisions inside them.
/// </summary>
public static class JobReasons
{
    public static readonly IReadOnlyList<string> All =
    [
        "lockHeld", "updateFailed", "releaseInfoChanged", "dpkgRepairFailed", "dpkgInterrupted", "upgradeFailed",
        "scriptError", "sudoRefused", "startFailed", "notRoot", "badArguments", "scriptFailed", "stopped",
        "cancelled", "timedOut", "rebootDuringRun", "runnerLost",
    ];

    /// <summary>Who runs the upgrade outside the daemon (<see cref="JobSnapshot.Supervisor"/>).</summary>
    public static readonly IReadOnlyList<string> Supervisors = ["systemd", "detached"];
}

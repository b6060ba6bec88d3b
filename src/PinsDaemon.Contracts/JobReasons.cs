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

/// <summary>What started a job (<see cref="JobSnapshot.Trigger"/>): a contract clients match on.</summary>
public static class JobTriggers
{
    /// <summary>A client asked over the API (<c>POST /upgrade</c>, or a fleet rollout through a controller's API).</summary>
    public const string Api = "api";

    /// <summary>A scheduled check (<c>Schedule:CheckEvery</c>): always a dry run.</summary>
    public const string Schedule = "schedule";

    public static readonly IReadOnlyList<string> All = [Api, Schedule];
}

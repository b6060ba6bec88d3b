using PinsDaemon.Actors.Processes;

namespace PinsDaemon.Actors.Jobs;

/// <summary>How the supervisor runs jobs (the script, whether through sudo, time limits) and how many it keeps.</summary>
public sealed record JobSupervisorSettings(string ScriptPath, bool UseSudo, string SudoPath, int MaxJobs = JobSupervisorSettings.DefaultMaxJobs)
{
    public const int DefaultMaxJobs = 100;

    /// <summary>A run still going after this is stopped the safe way (never during dpkg) and ends <c>timedOut</c>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>A run with no output for this long gets a warning in its status (it is probably waiting on a lock).</summary>
    public TimeSpan IdleWarning { get; init; } = TimeSpan.FromMinutes(5);

    public UpgradeCommand CommandFor(bool dryRun) => new(ScriptPath, UseSudo, SudoPath, dryRun);
}

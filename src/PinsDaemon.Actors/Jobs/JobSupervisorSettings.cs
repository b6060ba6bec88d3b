namespace PinsDaemon.Actors.Jobs;

/// <summary>How the supervisor runs jobs (the script, and whether through sudo) and how many it keeps.</summary>
public sealed record JobSupervisorSettings(string ScriptPath, bool UseSudo, string SudoPath, int MaxJobs = JobSupervisorSettings.DefaultMaxJobs)
{
    public const int DefaultMaxJobs = 100;

    public Processes.UpgradeCommand CommandFor(bool dryRun) => new(ScriptPath, UseSudo, SudoPath, dryRun);
}

namespace PinsDaemon.Actors.Jobs;

/// <summary>How the supervisor runs jobs: the script, and whether through sudo.</summary>
public sealed record JobSupervisorSettings(string ScriptPath, bool UseSudo, string SudoPath)
{
    public Processes.UpgradeCommand CommandFor(bool dryRun) => new(ScriptPath, UseSudo, SudoPath, dryRun);
}

namespace PinsDaemon.Actors.Runs;

/// <summary>
/// Production: every run goes through <c>sudo -n -- SCRIPT --dry-run|--apply|--cancel --job ID</c>,
/// the three forms sudoers allows. The script (root) starts the run as a unit of its own, or in
/// a session of its own without systemd, and writes its files into the runs directory, which
/// the daemon can read but not write.
/// </summary>
public sealed class SudoRunner(string sudoPath, string scriptPath, string runsDirectory) : IRunner
{
    public string RunsDirectory => runsDirectory;

    public bool StatusOnStdout => false;

    public string? Supervisor => null;

    public string CurrentBootId { get; } = RunProcesses.ReadBootId();

    /// <summary>The argument vector: <c>-n</c> (never prompt) and <c>--</c> (nothing after it is a sudo option).</summary>
    public static IReadOnlyList<string> Arguments(string scriptPath, string action, RunName run) =>
        ["-n", "--", scriptPath, action, "--job", run.JobId.ToString()];

    public async Task<LaunchResult> LaunchAsync(RunName run, CancellationToken cancellationToken)
    {
        var (code, output) = await RunProcesses.RunAsync(sudoPath, Arguments(scriptPath, $"--{run.Mode}", run), cancellationToken).ConfigureAwait(false);
        return new LaunchResult(code, output);
    }

    public async Task<CancelResult> CancelAsync(RunName run, CancellationToken cancellationToken)
    {
        var (code, output) = await RunProcesses.RunAsync(sudoPath, Arguments(scriptPath, "--cancel", run), cancellationToken).ConfigureAwait(false);
        return new CancelResult(code, output);
    }

    public async Task<bool> IsAliveAsync(RunName run, RunRecord record, CancellationToken cancellationToken)
    {
        if (record.Supervisor == RunRecord.Detached)
        {
            return record.Pid is { } pid && RunProcesses.IsAlive(pid, run.ToString());
        }

        // Reading a unit's state needs no privilege. A unit with a start job queued is alive too.
        var (code, output) = await RunProcesses.RunAsync(
            "systemctl", ["show", "-p", "ActiveState", "-p", "Job", "--", run.UnitName], cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            // systemctl itself failed: that says nothing about the run.
            return true;
        }

        var fields = RecordText.Fields(output);
        return fields.GetValueOrDefault("Job") is { Length: > 0 }
            || fields.GetValueOrDefault("ActiveState") is "active" or "activating" or "deactivating" or "reloading";
    }
}

namespace PinsDaemon.Actors.Runs;

/// <summary>
/// Production: every run goes through <c>sudo -n -- SCRIPT --dry-run|--apply [--full-upgrade]
/// [--autoremove] --job ID</c> or <c>--cancel --job ID</c>, the fixed forms sudoers allows. The script (root) starts the run as a unit of its own, or in
/// a session of its own without systemd, and writes its files into the runs directory, which
/// the daemon can read but not write.
/// </summary>
public sealed class SudoRunner(string sudoPath, string scriptPath, string runsDirectory) : IRunner
{
    public string RunsDirectory => runsDirectory;

    public bool StatusOnStdout => false;

    public string? Supervisor => null;

    public BootIdentity CurrentBoot { get; } = BootIdentity.Current();

    /// <summary>The argument vector: <c>-n</c> (never prompt) and <c>--</c> (nothing after it is a sudo option).</summary>
    public static IReadOnlyList<string> Arguments(string scriptPath, string action, RunName run, RunOptions? options = null) =>
        ["-n", "--", scriptPath, action, .. (options ?? RunOptions.Default).Words, "--job", run.JobId.ToString()];

    public async Task<LaunchResult> LaunchAsync(RunName run, RunOptions options, CancellationToken cancellationToken)
    {
        var (code, output) = await RunProcesses.RunAsync(sudoPath, Arguments(scriptPath, $"--{run.Mode}", run, options), cancellationToken).ConfigureAwait(false);
        return new LaunchResult(code, output);
    }

    public async Task<CancelResult> RebootAsync(bool cancel, CancellationToken cancellationToken)
    {
        var (code, output) = await RunProcesses.RunAsync(sudoPath, ["-n", "--", scriptPath, cancel ? "--cancel-reboot" : "--reboot"], cancellationToken).ConfigureAwait(false);
        return new CancelResult(code, output);
    }

    public async Task<CancelResult> CancelAsync(RunName run, CancellationToken cancellationToken)
    {
        var (code, output) = await RunProcesses.RunAsync(sudoPath, Arguments(scriptPath, "--cancel", run), cancellationToken).ConfigureAwait(false);
        return new CancelResult(code, output);
    }

    public async Task<RunLiveness> ProbeAsync(RunName run, RunRecord record, CancellationToken cancellationToken)
    {
        if (record.Supervisor == RunRecord.Detached)
        {
            return RunProcesses.Probe(record.Pid, run.ToString());
        }

        // The unit's control group first: a file read, no D-Bus, no process started.
        var liveness = UnitCgroup.Probe(run.UnitName);
        if (liveness != RunLiveness.Unknown)
        {
            return liveness;
        }

        // No cgroup file system to read: ask systemd, which needs the system bus. A unit with
        // a start job queued is alive too. A failed query says nothing about the run.
        var (code, output) = await RunProcesses.RunAsync(
            "systemctl", ["show", "-p", "ActiveState", "-p", "Job", "--", run.UnitName], cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            return RunLiveness.Unknown;
        }

        var fields = RecordText.Fields(output);
        return fields.GetValueOrDefault("Job") is { Length: > 0 }
            || fields.GetValueOrDefault("ActiveState") is "active" or "activating" or "deactivating" or "reloading"
            ? RunLiveness.Alive
            : RunLiveness.Gone;
    }
}

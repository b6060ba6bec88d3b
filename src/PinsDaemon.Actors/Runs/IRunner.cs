namespace PinsDaemon.Actors.Runs;

/// <summary>
/// The seam between a job and the operating system: starts a run outside the daemon, signals
/// it, and says whether it is alive. Its output is read from the run's files, never from pipes,
/// so a run outlives the daemon. Production goes through sudo and the root script
/// (<see cref="SudoRunner"/>); development and tests start the script themselves
/// (<see cref="DetachedRunner"/>); actor specs use a fake.
/// </summary>
public interface IRunner
{
    /// <summary>Where the runs' files are.</summary>
    string RunsDirectory { get; }

    /// <summary>
    /// True when the script speaks the status channel on its stdout (the nonce line, see
    /// <c>ScriptChannel</c>); false when status events have their own file, <c>NAME.status</c>,
    /// and stdout is package output only.
    /// </summary>
    bool StatusOnStdout { get; }

    /// <summary>Who supervises every run this runner starts, when that is fixed (null: the run record says).</summary>
    string? Supervisor { get; }

    /// <summary>This boot, as the daemon sees it.</summary>
    BootIdentity CurrentBoot { get; }

    /// <summary>Starts the run; completes once it was started, or refused.</summary>
    Task<LaunchResult> LaunchAsync(RunName run, RunOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Schedules a reboot in one minute (<c>--reboot</c>), or cancels a scheduled one
    /// (<c>--cancel-reboot</c>), through the root script; exit code 0 means done.
    /// </summary>
    Task<CancelResult> RebootAsync(bool cancel, CancellationToken cancellationToken);

    /// <summary>Asks the run's main process to stop (SIGTERM); the script decides whether it may.</summary>
    Task<CancelResult> CancelAsync(RunName run, CancellationToken cancellationToken);

    /// <summary>Whether the run's unit or session is alive; <see cref="RunLiveness.Unknown"/> when it could not be looked at.</summary>
    Task<RunLiveness> ProbeAsync(RunName run, RunRecord record, CancellationToken cancellationToken);
}

/// <summary>How a launch went: <paramref name="ExitCode"/> 0 means started; otherwise what the launcher said.</summary>
public sealed record LaunchResult(int ExitCode, string Output)
{
    public bool Started => ExitCode == 0;
}

/// <summary>How a cancel went: <paramref name="ExitCode"/> 0 means the run was signalled.</summary>
public sealed record CancelResult(int ExitCode, string Output)
{
    public bool Signalled => ExitCode == 0;
}

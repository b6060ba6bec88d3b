namespace PinsDaemon.Actors.Processes;

/// <summary>
/// The seam between a job and the operating system: starts the upgrade script and reports its
/// output. Actor specs use a fake; the daemon uses <see cref="OsProcessLauncher"/>.
/// </summary>
public interface IProcessLauncher
{
    /// <summary>
    /// Starts <paramref name="command"/>. <paramref name="onOutput"/> is called from background
    /// threads with consecutive lines of one stream, and the stream is not read further until
    /// the returned task completes (that is how a slow disk holds the script back). Every call
    /// completes before the process's <see cref="IUpgradeProcess.Completion"/> does. Throws when
    /// the process cannot be started.
    /// </summary>
    IUpgradeProcess Start(UpgradeCommand command, Func<IReadOnlyList<OutputLine>, ValueTask> onOutput);
}

/// <summary>A started upgrade process.</summary>
public interface IUpgradeProcess : IDisposable
{
    /// <summary>Completes with the exit code once the process has exited and both pipes are drained.</summary>
    Task<int> Completion { get; }

    /// <summary>
    /// Asks the process to stop with SIGTERM. Never SIGKILL: <c>sudo</c> relays SIGTERM to the
    /// script, while SIGKILL would cut <c>dpkg</c> off mid-way and leave the machine broken.
    /// </summary>
    void Terminate();
}

/// <summary>What to run: the script, how, and in which mode. Nothing here comes from a request but the mode.</summary>
public sealed record UpgradeCommand(string ScriptPath, bool UseSudo, string SudoPath, bool DryRun)
{
    public string FileName => UseSudo ? SudoPath : ScriptPath;

    /// <summary>
    /// The argument vector. With sudo: <c>-n</c> (never prompt; fail if sudoers does not allow it)
    /// and <c>--</c> (nothing after it is a sudo option).
    /// </summary>
    public IReadOnlyList<string> Arguments
    {
        get
        {
            var mode = DryRun ? "--dry-run" : "--apply";
            return UseSudo ? ["-n", "--", ScriptPath, mode] : [mode];
        }
    }

    public override string ToString() => string.Join(' ', [FileName, .. Arguments]);
}

namespace PinsDaemon.Actors.Runs;

/// <summary>
/// Development and tests (<c>Upgrade:UseSudo=false</c>): the daemon starts the configured script
/// itself, with its mode (<c>--dry-run</c> or <c>--apply</c>) and the job's fixed option words
/// (<c>--full-upgrade</c>, <c>--autoremove</c>) as arguments, in a session of its own
/// (<c>setsid</c>), its output going to the same files a production run writes. A small fixed
/// wrapper writes the run and exit records; its text never contains anything but constants, the
/// run's files and the script path arrive as separate arguments. Re-attach, cancel and the rest
/// use the same code as a production run.
/// </summary>
public sealed class DetachedRunner(string scriptPath, string runsDirectory) : IRunner
{
    /// <summary>
    /// The wrapper. $1 runs directory, $2 run name, $3 script, $4 and on its arguments. It forwards
    /// SIGTERM to the script (that is how a cancel reaches it) and records how the script ended,
    /// atomically, as systemd's ExecStopPost= would.
    /// </summary>
    private const string Wrapper = """
        set -u
        d=$1 n=$2 child= stop=
        exec </dev/null >>"$d/$n.out" 2>>"$d/$n.err"
        record() { printf '%s\n' "$2" >"$d/$n.$1.tmp" && mv -f "$d/$n.$1.tmp" "$d/$n.$1"; }
        # The record first: a cancel may come as soon as the script has printed anything.
        trap 'stop=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM
        # The boot id, and PID 1's start time (field 22 of its stat, after the parenthesised
        # name): what tells this boot from the next (BootIdentity). Builtins: every process
        # started here delays the script, and with it the job's first line.
        b= s= i=
        read -r b </proc/sys/kernel/random/boot_id
        read -r s 2>/dev/null </proc/1/stat && read -ra f <<<"${s##*) }" && i=${f[19]:-}
        printf -v t '%(%s)T' -1
        record run "supervisor=detached pid=$$ boot_id=$b init_start=$i mode=${n%-*-*-*-*-*} started=$t"
        "$3" "${@:4}" &
        child=$!
        [ -n "$stop" ] && kill -TERM "$child" 2>/dev/null
        while :; do
            wait "$child"
            rc=$?
            kill -0 "$child" 2>/dev/null || break
        done
        if [ "$rc" -gt 128 ]; then
            record exit "result=signal exit_code=killed exit_status=$(kill -l "$((rc - 128))")"
        elif [ "$rc" -eq 0 ]; then
            record exit "result=success exit_code=exited exit_status=0"
        else
            record exit "result=exit-code exit_code=exited exit_status=$rc"
        fi
        """;

    public string RunsDirectory => runsDirectory;

    public bool StatusOnStdout => true;

    public string? Supervisor => RunRecord.Detached;

    public BootIdentity CurrentBoot { get; } = BootIdentity.Current();

    public async Task<LaunchResult> LaunchAsync(RunName run, RunOptions options, CancellationToken cancellationToken)
    {
        var files = new RunFiles(runsDirectory, run);
        try
        {
            Directory.CreateDirectory(runsDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (File.Exists(files.Run) || File.Exists(files.Out))
            {
                return new LaunchResult(65, $"run {run} was already started");
            }

            foreach (var path in new[] { files.Out, files.Err, files.Status })
            {
                using var _ = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new LaunchResult(74, $"cannot create the run's files in {runsDirectory}: {ex.Message}");
        }

        // setsid -f: a new session, so a signal to the daemon's process group (Ctrl-C, a kill
        // of the group) never reaches the run; setsid returns at once.
        var (code, output) = await RunProcesses.RunAsync(
            "setsid", ["-f", "/bin/bash", "-c", Wrapper, "pinsdaemon-run", runsDirectory, run.ToString(), scriptPath, $"--{run.Mode}", .. options.Words], cancellationToken).ConfigureAwait(false);
        return new LaunchResult(code, output);
    }

    /// <summary>The configured script with <c>--reboot</c> or <c>--cancel-reboot</c>, as production's through sudo.</summary>
    public async Task<CancelResult> RebootAsync(bool cancel, CancellationToken cancellationToken)
    {
        var (code, output) = await RunProcesses.RunAsync(scriptPath, [cancel ? "--cancel-reboot" : "--reboot"], cancellationToken).ConfigureAwait(false);
        return new CancelResult(code, output);
    }

    public Task<CancelResult> CancelAsync(RunName run, CancellationToken cancellationToken)
    {
        var record = RunRecord.Parse(RecordText.TryRead(new RunFiles(runsDirectory, run).Run) ?? string.Empty);
        if (File.Exists(new RunFiles(runsDirectory, run).Exit) || record?.Pid is not { } pid || !RunProcesses.IsAlive(pid, run.ToString()))
        {
            return Task.FromResult(new CancelResult(66, $"no active run {run}"));
        }

        // SIGTERM to the wrapper, which passes it to the script.
        return Task.FromResult(kill(pid, 15) == 0 ? new CancelResult(0, string.Empty) : new CancelResult(66, $"run {run} has ended"));
    }

    public Task<RunLiveness> ProbeAsync(RunName run, RunRecord record, CancellationToken cancellationToken) =>
        Task.FromResult(RunProcesses.Probe(record.Pid, run.ToString()));

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}

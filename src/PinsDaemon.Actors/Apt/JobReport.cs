using PinsDaemon.Actors.Processes;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Apt;

/// <summary>
/// What a job learns from its run beyond the raw lines: the phase and progress, a dry run's
/// plan, what an apply changed, reboot and restart needs, whether dpkg started, and the last
/// lines of output. Status events come from the run's own status file, or, for a script run
/// without sudo, from the status channel on its stdout. Owned by one actor.
/// </summary>
/// <param name="statusOnStdout">The script speaks the status channel on stdout; its plan and
/// dpkg lines are then also read from stdout, as long as it sends no such events itself.</param>
public sealed class JobReport(bool dryRun, bool statusOnStdout)
{
    /// <summary>
    /// Plan and result entries kept: more packages than a Debian system installs, so a real run
    /// is never cut, while a script that floods them cannot grow the job without bound.
    /// </summary>
    public const int MaxEntries = 20_000;

    /// <summary>Output lines kept to refine a failure's reason: the last 40 say what went wrong.</summary>
    private const int RecentLines = 40;

    private readonly ScriptChannel? _channel = statusOnStdout ? new ScriptChannel() : null;
    private readonly Queue<string> _recent = new();
    private readonly List<PlanEntry> _plan = [];
    private readonly HashSet<string> _planned = new(StringComparer.Ordinal);
    private readonly List<UpgradedPackage> _upgraded = [];
    private readonly List<RemovedPackage> _removed = [];
    private readonly List<string> _rebootPackages = [];
    private readonly List<string> _servicesToRestart = [];
    private readonly List<string> _dpkgInterrupted = [];
    private AptNoticeParser _notices = new(MaxEntries);
    private bool _eventsSeen;
    private bool _planFromEvents;
    private bool _noticesFromEvents;
    private bool _upgradedFromEvents;
    private bool _rebootRequired;
    private bool _cancelRefused;
    private bool _dpkgStarted;
    private string? _stoppedBy;
    private int? _exitEvent;

    /// <summary>The script's own phase: starting, check-dpkg, update, download, simulate, install, repair.</summary>
    public string Phase { get; private set; } = "starting";

    public JobProgress? Progress { get; private set; }

    /// <summary>
    /// False once dpkg may be changing the system: stopping the run then could leave packages
    /// half-installed. The script enforces the same rule itself; this lets the API say so up
    /// front. A dry run's simulation is not dpkg.
    /// </summary>
    public bool IsCancellable => !_dpkgStarted;

    /// <summary>What the run said so far, for the outcome.</summary>
    public RunFacts Facts => new(
        _eventsSeen || _channel?.IsOpen is true,
        Phase,
        _dpkgStarted,
        _cancelRefused,
        _stoppedBy,
        _exitEvent,
        _dpkgInterrupted.ToArray(),
        _rebootRequired,
        _rebootPackages.ToArray(),
        _servicesToRestart.ToArray(),
        _plan.ToArray(),
        _notices.KeptBack.ToArray(),
        _notices.Autoremovable.ToArray(),
        _upgraded.ToArray(),
        _removed.ToArray(),
        _upgradedFromEvents,
        _recent.ToArray());

    /// <summary>
    /// Takes one output line. False when it belongs to the status channel (not a log line);
    /// <paramref name="progressChanged"/> says whether <see cref="Progress"/> moved.
    /// </summary>
    public bool Observe(OutputLine line, out bool progressChanged)
    {
        progressChanged = false;
        if (_channel is not null && line.Stream == LogStream.Stdout && _channel.TryRead(line.Text, out var evt))
        {
            if (evt is not null)
            {
                progressChanged = ApplyEvent(evt);
            }

            return false;
        }

        if (_recent.Count == RecentLines)
        {
            _recent.Dequeue();
        }

        _recent.Enqueue(line.Text);
        if (_channel is not null && line.Stream == LogStream.Stdout)
        {
            // Only a script run without sudo: a production run's stdout is package output,
            // which could print anything, so its plan and changes come from status events alone.
            // What is read from it is served, so it is neutralised as log lines are.
            var text = ControlCharacters.Neutralize(line.Text);
            if (dryRun)
            {
                if (!_planFromEvents)
                {
                    AddPlan(text);
                }

                if (!_noticesFromEvents)
                {
                    _notices.Observe(text);
                }
            }
            else if (!dryRun && !_upgradedFromEvents && _upgraded.Count < MaxEntries && DpkgResultParser.TryParse(text, out var package))
            {
                _upgraded.Add(package);
            }
        }

        return true;
    }

    /// <summary>Takes one status event (<c>phase install</c>, <c>apt pmstatus:…</c>, …); true when progress moved.</summary>
    public bool ApplyEvent(string evt)
    {
        _eventsSeen = true;
        // Events carry apt's messages and package, service and phase names, all of which are
        // served (progress, plan, upgraded, reboot and restart lists, the job's message): they
        // get the same treatment as log lines, so no control character reaches a client.
        evt = ControlCharacters.Neutralize(evt);
        var space = evt.IndexOf(' ');
        var name = space < 0 ? evt : evt[..space];
        var rest = space < 0 ? string.Empty : evt[(space + 1)..];
        switch (name)
        {
            case "phase":
                Phase = rest;
                _dpkgStarted |= rest is "install" or "repair";
                return SetProgress(rest switch
                {
                    "update" => new JobProgress("update", null, null, "Updating the package lists"),
                    "download" => new JobProgress("download", null, null, "Downloading packages"),
                    "install" => new JobProgress("install", null, null, "Installing packages"),
                    "repair" => new JobProgress("install", null, null, "Finishing packages an earlier run left half-installed (dpkg --configure -a)"),
                    // A dry run's last step: apt works out what an upgrade would do and changes nothing.
                    "simulate" => new JobProgress("install", null, null, "Simulating the upgrade: nothing is changed"),
                    _ => Progress,
                });
            case "apt":
                return SetProgress(AptStatusParser.Parse(rest, Phase) is { } progress && Phase != "simulate" ? progress : Progress);
            case "plan":
                if (!_planFromEvents)
                {
                    // The script sends its plan itself: what stdout suggested is dropped.
                    _planFromEvents = true;
                    _plan.Clear();
                    _planned.Clear();
                }

                AddPlan(rest);
                return false;
            case "kept-back" or "autoremovable":
                if (!_noticesFromEvents)
                {
                    // The script names these itself: what stdout suggested is dropped.
                    _noticesFromEvents = true;
                    _notices = new AptNoticeParser(MaxEntries);
                }

                _notices.Add(name == "kept-back" ? AptNotice.KeptBack : AptNotice.Autoremovable, rest);
                return false;
            case "upgraded":
                if (!_upgradedFromEvents)
                {
                    _upgradedFromEvents = true;
                    _upgraded.Clear();
                }

                var fields = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 3 && _upgraded.Count < MaxEntries)
                {
                    _upgraded.Add(new UpgradedPackage(fields[0], fields[1] == "-" ? null : fields[1], fields[2]));
                }

                return false;
            case "removed":
                if (!_upgradedFromEvents)
                {
                    _upgradedFromEvents = true;
                    _upgraded.Clear();
                }

                var removed = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (removed.Length == 2 && _removed.Count < MaxEntries)
                {
                    _removed.Add(new RemovedPackage(removed[0], removed[1]));
                }

                return false;
            case "reboot-required":
                _rebootRequired = true;
                _rebootPackages.AddRange(rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(MaxEntries - _rebootPackages.Count));
                return false;
            case "restart-service":
                if (rest.Length > 0 && _servicesToRestart.Count < MaxEntries)
                {
                    _servicesToRestart.Add(rest);
                }

                return false;
            case "dpkg-interrupted":
                _dpkgInterrupted.AddRange(rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(MaxEntries - _dpkgInterrupted.Count));
                return false;
            case "cancel-refused":
                _cancelRefused = true;
                return false;
            case "stopped":
                _stoppedBy = rest.Split(' ', 2)[0];
                return false;
            case "exit":
                _exitEvent = int.TryParse(rest, out var code) ? code : null;
                return false;
            default:
                return false;
        }
    }

    private void AddPlan(string text)
    {
        if (_plan.Count >= MaxEntries || !AptPlanParser.TryParse(text, out var entry))
        {
            return;
        }

        // A Conf line follows the Inst line of every package; list it only for a package that
        // is configured without being installed (one left half-configured, say).
        if (entry.Action == "configure" ? _planned.Contains(entry.Package) : !_planned.Add(entry.Package))
        {
            return;
        }

        if (entry.Action == "configure")
        {
            _planned.Add(entry.Package);
        }

        _plan.Add(entry);
    }

    private bool SetProgress(JobProgress? progress)
    {
        if (progress is null || progress == Progress)
        {
            return false;
        }

        // Whole-percent steps are plenty for a progress bar; finer ones would flood subscribers.
        var changed = Progress is null
            || progress.Phase != Progress.Phase
            || progress.Package != Progress.Package
            || progress.Message != Progress.Message
            || Math.Abs((progress.Percent ?? 0) - (Progress.Percent ?? 0)) >= 1;
        Progress = progress;
        return changed;
    }
}

/// <summary>
/// What a run said about itself, as far as the outcome needs it.
/// </summary>
/// <param name="StatusKnown">The run sent status events at all (a script without the channel sends none).</param>
/// <param name="StoppedBySignal">The signal the script said stopped it before dpkg (<c>TERM</c>, ...).</param>
/// <param name="ExitEvent">The code the script said it exits with (its last event).</param>
/// <param name="KeptBack">A dry run's packages the upgrade keeps back (held, or needing a new dependency).</param>
/// <param name="Autoremovable">A dry run's packages installed automatically and no longer needed.</param>
/// <param name="ChangesReported">What dpkg changed came from the run's own events (dpkg's database).</param>
public sealed record RunFacts(
    bool StatusKnown,
    string Phase,
    bool DpkgStarted,
    bool CancelRefused,
    string? StoppedBySignal,
    int? ExitEvent,
    IReadOnlyList<string> DpkgInterrupted,
    bool RebootRequired,
    IReadOnlyList<string> RebootRequiredPackages,
    IReadOnlyList<string> ServicesNeedingRestart,
    IReadOnlyList<PlanEntry> Plan,
    IReadOnlyList<string> KeptBack,
    IReadOnlyList<string> Autoremovable,
    IReadOnlyList<UpgradedPackage> Upgraded,
    IReadOnlyList<RemovedPackage> Removed,
    bool ChangesReported,
    IReadOnlyList<string> RecentOutput)
{
    public static readonly RunFacts None = new(false, "starting", false, false, null, null, [], false, [], [], [], [], [], [], [], false, []);
}

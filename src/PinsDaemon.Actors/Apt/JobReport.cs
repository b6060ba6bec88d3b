using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Apt;

/// <summary>
/// What a job learns from its script's output beyond the raw lines: the phase and progress
/// (from the status channel), a dry run's plan, an apply's upgraded packages, reboot and
/// restart needs, and enough recent output to name a failure. Owned by one actor.
/// </summary>
public sealed class JobReport(bool dryRun, bool usedSudo)
{
    /// <summary>
    /// Plan and result entries kept: more packages than a Debian system installs, so a real run
    /// is never cut, while a script that floods Inst lines cannot grow the job without bound.
    /// </summary>
    public const int MaxEntries = 20_000;

    /// <summary>Output lines kept to classify a failure: the last 40 say what went wrong.</summary>
    private const int RecentLines = 40;

    private readonly ScriptChannel _channel = new();
    private readonly Queue<string> _recent = new();
    private readonly List<PlanEntry> _plan = [];
    private readonly HashSet<string> _planned = new(StringComparer.Ordinal);
    private readonly List<UpgradedPackage> _upgraded = [];
    private readonly List<string> _rebootPackages = [];
    private readonly List<string> _servicesToRestart = [];
    private readonly AptNoticeParser _notices = new(MaxEntries);
    private bool _rebootRequired;

    /// <summary>The script's own phase: starting, check-dpkg, update, download, simulate, install, repair.</summary>
    public string Phase { get; private set; } = "starting";

    public JobProgress? Progress { get; private set; }

    /// <summary>True once the script said it refused to stop because dpkg was running.</summary>
    public bool CancelRefusedByScript { get; private set; }

    /// <summary>
    /// False once dpkg may be changing the system: stopping the script then could leave packages
    /// half-installed. The script enforces the same rule itself; this lets the API say so up front.
    /// </summary>
    public bool IsCancellable => Phase is not ("install" or "repair") && Progress?.Phase != "install";

    public IReadOnlyList<PlanEntry>? Plan => dryRun ? _plan : null;

    public IReadOnlyList<UpgradedPackage>? Upgraded => dryRun ? null : _upgraded;

    /// <summary>A dry run's packages kept back by the upgrade (held, or needing a new dependency). Null for an apply.</summary>
    public IReadOnlyList<string>? KeptBack => dryRun ? _notices.KeptBack : null;

    /// <summary>A dry run's packages that apt says are no longer needed. Null for an apply.</summary>
    public IReadOnlyList<string>? Autoremovable => dryRun ? _notices.Autoremovable : null;

    public bool? RebootRequired => dryRun || !_channel.IsOpen ? null : _rebootRequired;

    public IReadOnlyList<string>? RebootRequiredPackages => RebootRequired is true ? _rebootPackages : null;

    public IReadOnlyList<string>? ServicesNeedingRestart => dryRun || !_channel.IsOpen ? null : _servicesToRestart;

    /// <summary>
    /// Takes one output line. False when it belongs to the status channel (not a log line);
    /// <paramref name="progressChanged"/> says whether <see cref="Progress"/> moved.
    /// </summary>
    public bool Observe(OutputLine line, out bool progressChanged)
    {
        progressChanged = false;
        if (line.Stream == LogStream.Stdout && _channel.TryRead(line.Text, out var evt))
        {
            if (evt is not null)
            {
                progressChanged = Apply(evt);
            }

            return false;
        }

        if (_recent.Count == RecentLines)
        {
            _recent.Dequeue();
        }

        _recent.Enqueue(line.Text);
        if (line.Stream == LogStream.Stdout)
        {
            if (dryRun)
            {
                ObservePlan(line.Text);
                _notices.Observe(line.Text);
            }
            else if (_upgraded.Count < MaxEntries && DpkgResultParser.TryParse(line.Text, out var package))
            {
                _upgraded.Add(package);
            }
        }

        return true;
    }

    public FailureReason Classify(int exitCode) => FailureClassifier.Classify(exitCode, usedSudo, _recent);

    /// <summary>What a successful run amounts to, for the job's message.</summary>
    public string? SuccessSummary()
    {
        if (dryRun)
        {
            if (!_channel.IsOpen && _plan.Count == 0)
            {
                return null;
            }

            if (_plan.Count == 0)
            {
                return "Nothing to upgrade: the system is up to date.";
            }

            var changes = _plan.Count(p => p.Action != "configure");
            return $"A real upgrade would change {changes} package{(changes == 1 ? string.Empty : "s")} (see plan).";
        }

        var summary = _upgraded.Count == 0 ? "Nothing needed upgrading." : $"{_upgraded.Count} package{(_upgraded.Count == 1 ? string.Empty : "s")} upgraded or installed.";
        return RebootRequired is true ? $"{summary} A reboot is required." : summary;
    }

    private void ObservePlan(string text)
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

    private bool Apply(string evt)
    {
        var space = evt.IndexOf(' ');
        var name = space < 0 ? evt : evt[..space];
        var rest = space < 0 ? string.Empty : evt[(space + 1)..];
        switch (name)
        {
            case "phase":
                Phase = rest;
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
            case "cancel-refused":
                CancelRefusedByScript = true;
                return false;
            default:
                return false;
        }
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

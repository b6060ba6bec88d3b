namespace PinsDaemon.Actors.Runs;

/// <summary>
/// Whether a run's unit still has processes, read from its control group under
/// <c>/sys/fs/cgroup</c>: world-readable, read-only in the daemon's sandbox, and no D-Bus needed
/// (<c>systemctl show</c> as a user other than root needs the system bus, which minimal systems
/// may not run). The unit's processes, <c>ExecStopPost=</c> included, are in its group until the
/// last one has ended, and systemd removes the group after that.
/// </summary>
public static class UnitCgroup
{
    /// <summary>
    /// Where instances of <c>pinsdaemon-upgrade@.service</c> live: the slice systemd makes for a
    /// template by default (its name escaped: '-' becomes \x2d), under <c>system.slice</c>.
    /// </summary>
    private const string Slice = "system.slice/system-pinsdaemon\\x2dupgrade.slice";

    /// <param name="root">The cgroup file system's mount point; a seam for tests.</param>
    public static RunLiveness Probe(string unitName, string root = "/sys/fs/cgroup")
    {
        try
        {
            // The unified hierarchy (cgroup v2, or the "unified" mount of a v1/v2 hybrid) says
            // whether the group or any below it holds a process; failing that, systemd's own
            // v1 hierarchy lists the group's processes.
            foreach (var unified in new[] { root, Path.Combine(root, "unified") })
            {
                if (File.Exists(Path.Combine(unified, "cgroup.controllers")))
                {
                    var events = Path.Combine(unified, Slice, unitName, "cgroup.events");
                    return File.Exists(events) && File.ReadLines(events).Contains("populated 1") ? RunLiveness.Alive : RunLiveness.Gone;
                }
            }

            var legacy = Path.Combine(root, "systemd");
            if (File.Exists(Path.Combine(legacy, "cgroup.procs")))
            {
                var procs = Path.Combine(legacy, Slice, unitName, "cgroup.procs");
                return HasProcess(procs) ? RunLiveness.Alive : RunLiveness.Gone;
            }

            return RunLiveness.Unknown;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed while read (the run just ended), or unreadable: ask again, decide nothing.
            return RunLiveness.Unknown;
        }
    }

    // cgroup files report a size of 0 whatever they hold: read one line to know.
    private static bool HasProcess(string procs) => File.Exists(procs) && File.ReadLines(procs).Any(line => line.Length > 0);
}

/// <summary>What a look at a run's unit or session found.</summary>
public enum RunLiveness
{
    /// <summary>It has a process.</summary>
    Alive,

    /// <summary>It has none (or no longer exists).</summary>
    Gone,

    /// <summary>It could not be looked at: says nothing about the run.</summary>
    Unknown,
}

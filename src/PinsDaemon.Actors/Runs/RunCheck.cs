namespace PinsDaemon.Actors.Runs;

/// <summary>
/// What to make of a run that has no exit record (yet), from its run record, this boot, and
/// what a look at its unit or session found. A pure function: the follower gathers the inputs.
/// A look that failed never counts as alive: a run the daemon cannot see would otherwise stay
/// "running" forever and block every later job.
/// </summary>
public static class RunCheck
{
    /// <summary>
    /// How long a run may have no run record: the launcher writes it before it returns, the
    /// development wrapper a moment after it starts. Longer than that, nobody is coming.
    /// </summary>
    public static readonly TimeSpan RecordGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after its launch a systemd run that was never seen alive may still be starting:
    /// the launcher writes the record and returns once systemd has queued the unit's start, and
    /// the unit's control group exists only once it runs, usually well under a second later.
    /// Longer than that, and with no exit record, it never started. (A detached run's record is
    /// written by or after the process it names: it has started.)
    /// </summary>
    public static readonly TimeSpan StartGrace = TimeSpan.FromSeconds(30);

    /// <param name="record">The run record, null when there is none.</param>
    /// <param name="boot">This boot, as the daemon sees it.</param>
    /// <param name="liveness">What a look at the run's unit or session found.</param>
    /// <param name="deadBefore">The previous check also found it not alive: a run that has just
    /// ended is gone a moment before its exit record lands, so one such check is not enough.</param>
    /// <param name="seenAlive">An earlier check (since the daemon attached) found it alive.</param>
    /// <param name="sinceAttach">How long the daemon has been following this run.</param>
    /// <param name="now">The time now, against the record's start time.</param>
    public static RunVerdict Decide(
        RunRecord? record,
        BootIdentity boot,
        RunLiveness liveness,
        bool deadBefore,
        bool seenAlive,
        TimeSpan sinceAttach,
        DateTimeOffset now)
    {
        if (record is null)
        {
            return sinceAttach < RecordGrace ? RunVerdict.Keep : RunVerdict.RunnerLost;
        }

        if (OnAnotherBoot(record, boot))
        {
            return RunVerdict.RebootDuringRun;
        }

        if (liveness == RunLiveness.Alive)
        {
            return RunVerdict.Keep;
        }

        if (!seenAlive && record.Supervisor == RunRecord.Systemd && record.Started is { } started
            && now - DateTimeOffset.FromUnixTimeSeconds(started) < StartGrace)
        {
            // Launched moments ago: its unit may not be running yet.
            return RunVerdict.Keep;
        }

        return deadBefore ? RunVerdict.RunnerLost : RunVerdict.CheckAgain;
    }

    /// <summary>
    /// The record was written on another boot: the kernel's boot id differs (a machine's
    /// reboot), or PID 1 started at another time (any reboot, a container's included). A value
    /// either side could not read decides nothing.
    /// </summary>
    public static bool OnAnotherBoot(RunRecord record, BootIdentity boot) =>
        (record.BootId is { Length: > 0 } bootId && boot.BootId.Length > 0 && !string.Equals(bootId, boot.BootId, StringComparison.OrdinalIgnoreCase))
        || (record.InitStart is { } recorded && boot.InitStart is { } current && recorded != current);
}

public enum RunVerdict
{
    /// <summary>Alive, or launched moments ago: keep following.</summary>
    Keep,

    /// <summary>Not seen alive, once: look for the exit record again before deciding.</summary>
    CheckAgain,

    /// <summary>The system rebooted since the run started, and the run left no exit record.</summary>
    RebootDuringRun,

    /// <summary>The run is gone (or cannot be seen) and left no exit record.</summary>
    RunnerLost,
}

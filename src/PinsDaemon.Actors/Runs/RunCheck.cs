namespace PinsDaemon.Actors.Runs;

/// <summary>
/// What to make of a run that has no exit record (yet), from its run record, this boot's id
/// and whether its unit or session is alive. A pure function: the follower gathers the inputs.
/// </summary>
public static class RunCheck
{
    /// <summary>
    /// How long a run may have no run record: the launcher writes it before it returns, the
    /// development wrapper a moment after it starts. Longer than that, nobody is coming.
    /// </summary>
    public static readonly TimeSpan RecordGrace = TimeSpan.FromSeconds(10);

    /// <param name="record">The run record, null when there is none.</param>
    /// <param name="currentBootId">This boot's <c>/proc/sys/kernel/random/boot_id</c>.</param>
    /// <param name="alive">Whether the unit or session is alive now (null: not asked).</param>
    /// <param name="deadBefore">The previous check also found it dead: a run that has just ended
    /// is dead a moment before its exit record lands (ExecStopPost= runs last), so one dead
    /// check is not enough.</param>
    /// <param name="sinceAttach">How long the daemon has been following this run.</param>
    public static RunVerdict Decide(RunRecord? record, string currentBootId, bool? alive, bool deadBefore, TimeSpan sinceAttach)
    {
        if (record is null)
        {
            return sinceAttach < RecordGrace ? RunVerdict.Keep : RunVerdict.RunnerLost;
        }

        if (record.BootId is { Length: > 0 } bootId && !string.Equals(bootId, currentBootId, StringComparison.OrdinalIgnoreCase))
        {
            return RunVerdict.RebootDuringRun;
        }

        if (alive is not false)
        {
            return RunVerdict.Keep;
        }

        return deadBefore ? RunVerdict.RunnerLost : RunVerdict.CheckAgain;
    }
}

public enum RunVerdict
{
    /// <summary>Alive (or not known to be dead yet): keep following.</summary>
    Keep,

    /// <summary>Dead, once: look for the exit record again before deciding.</summary>
    CheckAgain,

    /// <summary>The machine rebooted since the run started, and the run left no exit record.</summary>
    RebootDuringRun,

    /// <summary>The run is gone and left no exit record.</summary>
    RunnerLost,
}

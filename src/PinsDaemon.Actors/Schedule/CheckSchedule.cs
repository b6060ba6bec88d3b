namespace PinsDaemon.Actors.Schedule;

/// <summary>
/// How often scheduled checks run: every <paramref name="Every"/>, each one a further random
/// delay of up to <paramref name="RandomDelay"/> later (as <c>apt-daily.timer</c>'s
/// <c>RandomizedDelaySec=</c>, so a fleet does not hit its mirror at once), and
/// <paramref name="RetryAfter"/> later again when one could not start (a job ran, a reboot was due).
/// </summary>
public sealed record CheckScheduleSettings(TimeSpan Every, TimeSpan RandomDelay, TimeSpan RetryAfter);

/// <summary>
/// What is kept across restarts (<see cref="ScheduleStateFile"/>): when the last scheduled check
/// started (null before the first) and when the next one is due, its random delay included, so a
/// restart neither checks again at once nor draws a new delay, and an overdue check is not forgotten.
/// </summary>
public sealed record ScheduleState(DateTimeOffset? LastCheckAt, DateTimeOffset NextCheckAt);

/// <summary>The schedule's decisions, as pure functions with tests of their own.</summary>
public static class CheckSchedule
{
    /// <summary>
    /// When the next check is due, given what was saved (null: nothing, or unreadable) and a
    /// random <paramref name="jitter"/> between zero and the settings' delay. A saved due time is
    /// kept when it fits the settings and the clock; otherwise it is drawn again. Never later than
    /// one period and one delay from now, whatever the clock did (a board without a real-time clock
    /// can start in the past or the future).
    /// </summary>
    public static ScheduleState Plan(ScheduleState? saved, DateTimeOffset now, CheckScheduleSettings settings, TimeSpan jitter)
    {
        var latest = now + settings.Every + settings.RandomDelay;
        if (saved is null)
        {
            // The first start counts as a check: a package installed (or a fleet set up) now does
            // not send every machine to its mirror at once, nor start a job under its installer.
            return new ScheduleState(null, now + settings.Every + jitter);
        }

        var next = saved.NextCheckAt;
        if (saved.LastCheckAt is { } last
            && (next < last + settings.Every || next > last + settings.Every + settings.RandomDelay))
        {
            // Drawn under other settings: the period changed since.
            next = last + settings.Every + jitter;
        }

        return saved with { NextCheckAt = next > latest ? now + settings.Every + jitter : next };
    }

    /// <summary>The state once a check started at <paramref name="now"/>.</summary>
    public static ScheduleState Started(DateTimeOffset now, CheckScheduleSettings settings, TimeSpan jitter) =>
        new(now, now + settings.Every + jitter);
}

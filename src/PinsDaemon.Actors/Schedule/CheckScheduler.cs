using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Schedule;

/// <summary>
/// Runs a scheduled check, a dry run with <c>trigger: "schedule"</c>, whenever one is due
/// (<see cref="CheckSchedule"/>), through the <see cref="JobSupervisor"/> as any client would. It
/// never asks for an apply. When the supervisor refuses (a job runs, a reboot is scheduled) it
/// asks again <see cref="CheckScheduleSettings.RetryAfter"/> later, never sooner. A check that
/// starts and then fails (apt's lock held by unattended-upgrades, say) counts as done: the next
/// comes a period later. The due time is saved at every change (<see cref="ScheduleStateFile"/>).
/// </summary>
public sealed class CheckScheduler : ReceiveActor, IWithTimers
{
    /// <summary>
    /// The longest the actor sleeps before looking at the wall clock again: the due time is a wall
    /// time, and a board's clock may jump (NTP after a boot without a real-time clock, a suspend).
    /// </summary>
    private static readonly TimeSpan LongestSleep = TimeSpan.FromHours(1);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CheckScheduleSettings _settings;
    private readonly IActorRef _jobs;
    private readonly ScheduleStateFile _file;
    private readonly TimeProvider _clock;
    private readonly ScheduleState? _saved;
    private ScheduleState _state;
    private readonly OrderedWrites _saving = new();

    public CheckScheduler(CheckScheduleSettings settings, IActorRef jobs, ScheduleStateFile file, ScheduleState? saved, TimeProvider clock)
    {
        _settings = settings;
        _jobs = jobs;
        _file = file;
        _clock = clock;
        _saved = saved;
        _state = CheckSchedule.Plan(saved, clock.GetUtcNow(), settings, Jitter());

        Receive<Tick>(HandleTick);
        Receive<JobProtocol.JobStarted>(HandleStarted);
        Receive<JobProtocol.JobRejected>(rejected => RetryLater($"job {rejected.RunningJobId} is running"));
        Receive<JobProtocol.StartRefusedForReboot>(refused => RetryLater($"a reboot is scheduled for {refused.RebootAt:u}"));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CheckScheduleSettings settings, IActorRef jobs, ScheduleStateFile file, ScheduleState? saved, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new CheckScheduler(settings, jobs, file, saved, clock));

    protected override void PreStart()
    {
        if (_state != _saved)
        {
            Save();
        }

        _log.Info("Scheduled checks every {0} (plus a random delay of up to {1}); the next is due at {2:u}", _settings.Every, _settings.RandomDelay, _state.NextCheckAt);
        Self.Tell(Tick.Instance);
    }

    private void HandleTick(Tick _)
    {
        var wait = _state.NextCheckAt - _clock.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            Timers.StartSingleTimer(Tick.Instance, Tick.Instance, wait < LongestSleep ? wait : LongestSleep);
            return;
        }

        _jobs.Tell(new JobProtocol.StartJob(DryRun: true, Client: JobTriggers.Schedule) { Trigger = JobTriggers.Schedule });
        // Should the answer never come, ask again later rather than never.
        Timers.StartSingleTimer(Tick.Instance, Tick.Instance, _settings.RetryAfter);
    }

    private void HandleStarted(JobProtocol.JobStarted started)
    {
        _state = CheckSchedule.Started(started.Job.CreatedAt, _settings, Jitter());
        Save();
        _log.Info("Scheduled check {0} started; the next is due at {1:u}", started.Job.JobId, _state.NextCheckAt);
        Timers.StartSingleTimer(Tick.Instance, Tick.Instance, TimeSpan.Zero);
    }

    private void RetryLater(string why)
    {
        _log.Info("Scheduled check not started: {0}; trying again in {1}", why, _settings.RetryAfter);
        Timers.StartSingleTimer(Tick.Instance, Tick.Instance, _settings.RetryAfter);
    }

    /// <summary>Writes the state off the actor's thread, one write at a time and in order.</summary>
    private void Save()
    {
        var state = _state;
        var file = _file;
        var log = _log;
        _saving.Enqueue(
            () => file.Save(state),
            ex => log.Warning("Scheduled checks: could not save {0} ({1}); a restart may check again at once", file.Path, ex.Message));
    }

    private TimeSpan Jitter() => _settings.RandomDelay * Random.Shared.NextDouble();

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}

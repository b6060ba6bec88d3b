using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Actors.Streaming;

namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// The entry point of the jobs area and the one actor in the registry. Starts at most one
/// <see cref="UpgradeJob"/> at a time (apt holds a system-wide lock), answers status and list
/// queries, and opens log streams. A job actor that fails is stopped, never restarted: a restart
/// would run <c>PreStart</c> again and launch apt a second time.
/// </summary>
public sealed class JobSupervisor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobSupervisorSettings _settings;
    private readonly IProcessLauncher _launcher;
    private readonly TimeProvider _clock;
    private readonly Dictionary<JobId, JobEntry> _jobs = [];
    private JobId? _running;
    private long _subscriberCount;

    public JobSupervisor(JobSupervisorSettings settings, IProcessLauncher launcher, TimeProvider clock)
    {
        _settings = settings;
        _launcher = launcher;
        _clock = clock;

        Receive<JobProtocol.StartJob>(HandleStart);
        Receive<JobProtocol.GetJob>(HandleGet);
        Receive<JobProtocol.ListJobs>(HandleList);
        Receive<JobProtocol.OpenLogStream>(HandleOpenLogStream);
        Receive<JobProtocol.JobUpdated>(HandleUpdated);
        Receive<JobActorStopped>(HandleJobActorStopped);
    }

    public static Props Props(JobSupervisorSettings settings, IProcessLauncher launcher, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new JobSupervisor(settings, launcher, clock));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(Directive.Stop));

    private void HandleStart(JobProtocol.StartJob start)
    {
        if (_running is { } running)
        {
            Sender.Tell(new JobProtocol.JobRejected(running, $"Job {running} is still running; apt can only run once at a time."));
            return;
        }

        var id = JobId.New();
        var createdAt = _clock.GetUtcNow();
        var snapshot = new JobSnapshot(id, JobStatus.Running, start.DryRun, createdAt, null, null, null, 0, null);
        var job = Context.ActorOf(
            UpgradeJob.Props(id, start.DryRun, createdAt, _settings.CommandFor(start.DryRun), _launcher, _clock),
            UpgradeJob.ActorName(id));
        Context.WatchWith(job, new JobActorStopped(id, job));
        _jobs[id] = new JobEntry(job, snapshot);
        _running = id;
        _log.Info("Started job {0} (dry run: {1})", id, start.DryRun);
        Sender.Tell(new JobProtocol.JobStarted(snapshot));
    }

    private void HandleGet(JobProtocol.GetJob get)
    {
        if (!_jobs.TryGetValue(get.JobId, out var entry))
        {
            Sender.Tell(new JobProtocol.JobNotFound(get.JobId));
            return;
        }

        if (entry.Actor is null)
        {
            Sender.Tell(new JobProtocol.JobFound(entry.Latest));
            return;
        }

        // The job itself knows its exact line count; the cached snapshot can lag by a tick.
        entry.Actor.Forward(get);
    }

    private void HandleList(JobProtocol.ListJobs _)
    {
        var jobs = _jobs.Values
            .Select(entry => entry.Latest)
            .OrderByDescending(job => job.CreatedAt)
            .ToArray();
        Sender.Tell(new JobProtocol.JobList(jobs));
    }

    private void HandleOpenLogStream(JobProtocol.OpenLogStream open)
    {
        if (!_jobs.TryGetValue(open.JobId, out var entry))
        {
            Sender.Tell(new JobProtocol.JobNotFound(open.JobId));
            return;
        }

        if (entry.Actor is null)
        {
            // The job's actor died and its lines with it: all there is to say is how it ended.
            var job = entry.Latest;
            open.Output.Complete(new JobProtocol.LogEnd(job.JobId, job.Status, job.ExitCode, job.LineCount, job.Message));
            Sender.Tell(new JobProtocol.LogStreamOpened(open.JobId, ActorRefs.Nobody));
            return;
        }

        var subscriber = Context.ActorOf(
            LogSubscriber.Props(entry.Actor, open.After, open.Output),
            $"logs-{open.JobId}-{++_subscriberCount}");
        Sender.Tell(new JobProtocol.LogStreamOpened(open.JobId, subscriber));
    }

    private void HandleUpdated(JobProtocol.JobUpdated updated)
    {
        var id = updated.Job.JobId;
        if (_jobs.TryGetValue(id, out var entry) && Sender.Equals(entry.Actor))
        {
            _jobs[id] = entry with { Latest = updated.Job };
        }

        if (updated.Job.Status.IsFinal() && _running == id)
        {
            _running = null;
        }
    }

    private void HandleJobActorStopped(JobActorStopped stopped)
    {
        if (!_jobs.TryGetValue(stopped.JobId, out var entry) || !stopped.Actor.Equals(entry.Actor))
        {
            return;
        }

        var latest = entry.Latest;
        if (!latest.Status.IsFinal())
        {
            _log.Error("Job {0} stopped while running; recording it as failed", stopped.JobId);
            latest = latest with
            {
                Status = JobStatus.Failed,
                FinishedAt = _clock.GetUtcNow(),
                Message = "The job's actor failed while the script was running; the script was asked to stop. See the daemon's log.",
            };
        }

        if (_running == stopped.JobId)
        {
            _running = null;
        }

        // Keep answering for the job from what is known of it; its lines went with the actor.
        _jobs[stopped.JobId] = new JobEntry(null, latest);
    }

    /// <summary>A known job: its actor while it lives, and its latest known state.</summary>
    private sealed record JobEntry(IActorRef? Actor, JobSnapshot Latest);

    private sealed record JobActorStopped(JobId JobId, IActorRef Actor);
}

using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// The entry point of the jobs area and the one actor in the registry. Starts at most one
/// <see cref="UpgradeJob"/> at a time (apt holds a system-wide lock), answers status and list
/// queries, and routes log requests to the job's log. A job actor that fails is stopped, never
/// restarted: a restart would run <c>PreStart</c> again and launch a second run. Restores the
/// jobs found on disk at start (a job still running follows its run again), and keeps the
/// newest <see cref="JobSupervisorSettings.MaxJobs"/>.
/// </summary>
public sealed class JobSupervisor : ReceiveActor
{
    /// <summary>
    /// The dispatcher of the jobs and their logs, when the actor system has it (the daemon's
    /// does: <see cref="DispatcherHocon"/>): a thread of its own. Every line passes through a
    /// job and its log, and on the default dispatcher each of their messages would queue, on
    /// the thread pool, behind the sends to every WebSocket client. The handlers never block.
    /// </summary>
    public const string Dispatcher = "pinsdaemon-jobs-dispatcher";

    public const string DispatcherHocon = """
        pinsdaemon-jobs-dispatcher {
          type = ForkJoinDispatcher
          throughput = 100
          dedicated-thread-pool {
            thread-count = 1
            threadtype = background
          }
        }
        """;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobSupervisorSettings _settings;
    private readonly IRunner _runner;
    private readonly JobStore _store;
    private readonly IReadOnlyList<LoadedJob> _history;
    private readonly TimeProvider _clock;
    private readonly Dictionary<JobId, JobEntry> _jobs = [];
    private JobId? _running;

    /// <summary>
    /// When a reboot this daemon scheduled happens (shutdown -r +1); no job starts until then,
    /// and for a while after, in case the reboot is late. Null when none is scheduled.
    /// </summary>
    private DateTimeOffset? _rebootAt;

    /// <summary>A reboot request is with the root script: neither a job nor another request may start.</summary>
    private bool _rebootRequestInFlight;

    /// <summary>shutdown -r +1: the reboot comes one minute after the request.</summary>
    private static readonly TimeSpan RebootDelay = TimeSpan.FromMinutes(1);

    /// <summary>How long after its time a scheduled reboot still blocks jobs: a slow shutdown, not a cancelled one (that is DELETE /reboot).</summary>
    private static readonly TimeSpan RebootGrace = TimeSpan.FromMinutes(5);

    public JobSupervisor(JobSupervisorSettings settings, IRunner runner, JobStore store, IReadOnlyList<LoadedJob> history, TimeProvider clock)
    {
        _settings = settings;
        _runner = runner;
        _store = store;
        _history = history;
        _clock = clock;

        Receive<JobProtocol.StartJob>(HandleStart);
        Receive<JobProtocol.GetJob>(HandleGet);
        Receive<JobProtocol.ListJobs>(HandleList);
        Receive<LogProtocol.OpenLogStream>(HandleOpenLogStream);
        Receive<LogProtocol.ReadLog>(HandleReadLog);
        Receive<JobProtocol.CancelJob>(HandleCancel);
        Receive<JobProtocol.RequestReboot>(HandleRequestReboot);
        Receive<JobProtocol.GetRebootSchedule>(_ => Sender.Tell(new JobProtocol.RebootSchedule(_rebootRequestInFlight ? null : RebootPending(_clock.GetUtcNow()))));
        Receive<RebootAnswered>(HandleRebootAnswered);
        Receive<JobProtocol.JobUpdated>(HandleUpdated);
        Receive<JobActorStopped>(HandleJobActorStopped);
    }

    /// <param name="history">The jobs loaded from <paramref name="store"/> at start, newest first.</param>
    public static Props Props(JobSupervisorSettings settings, IRunner runner, JobStore store, IReadOnlyList<LoadedJob> history, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new JobSupervisor(settings, runner, store, history, clock));

    protected override void PreStart()
    {
        foreach (var loaded in _history)
        {
            var job = loaded.Job;
            Spawn(job, loaded.Resume);
            if (!job.Status.IsFinal())
            {
                // Still running when the daemon stopped: its job follows the run again.
                _running ??= job.JobId;
            }
        }

        Prune();
    }

    private void Spawn(JobSnapshot job, JobResume? resume)
    {
        var props = UpgradeJob.Props(new JobSetup(job, resume, _settings, _runner, _store, _clock));
        if (Context.System.Dispatchers.HasDispatcher(Dispatcher))
        {
            props = props.WithDispatcher(Dispatcher);
        }

        var actor = Context.ActorOf(props, UpgradeJob.ActorName(job.JobId));
        Context.WatchWith(actor, new JobActorStopped(job.JobId, actor));
        _jobs[job.JobId] = new JobEntry(actor, job);
    }

    private sealed record RebootAnswered(bool Cancel, DateTimeOffset RebootAt, CancelResult Result, IActorRef ReplyTo);

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(Directive.Stop));

    private void HandleStart(JobProtocol.StartJob start)
    {
        var now = _clock.GetUtcNow();
        var action = start.DryRun ? "start dry run" : "start upgrade";
        if (_running is { } running)
        {
            if (_jobs.TryGetValue(running, out var runningEntry))
            {
                runningEntry.Actor?.Tell(new JobProtocol.RecordAudit(new AuditEntry(now, start.Client, action, "refused: this job was running")));
            }

            Sender.Tell(new JobProtocol.JobRejected(running, $"Job {running} is still running; apt can only run once at a time."));
            return;
        }

        if (RebootPending(now) is { } rebootAt)
        {
            Sender.Tell(new JobProtocol.StartRefusedForReboot(rebootAt));
            return;
        }

        var id = JobId.New();
        var createdAt = now;
        AuditEntry[] audit = [new(now, start.Client, action, "accepted")];
        var snapshot = new JobSnapshot(id, JobStatus.Running, start.DryRun, createdAt, null, null, null, 0, null, false, audit)
        {
            Mode = start.Mode,
            Autoremove = start.Autoremove,
            Trigger = start.Trigger,
        };
        // One job's window of recent lines at a time: the finished ones serve theirs from disk now.
        foreach (var entry in _jobs.Values)
        {
            entry.Actor?.Tell(LogProtocol.ReleaseWindow.Instance);
        }

        Spawn(snapshot, resume: null);
        _running = id;
        Prune();
        _log.Info("Started job {0} (dry run: {1}, mode {2}, autoremove: {3}, trigger {4})", id, start.DryRun, start.Mode, start.Autoremove, start.Trigger);
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

    private void HandleOpenLogStream(LogProtocol.OpenLogStream open)
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
            open.Output.Complete(new StreamProtocol.LogEnd(job.JobId, job.Status, job.ExitCode, job.LineCount, job.Message));
            Sender.Tell(new LogProtocol.LogStreamOpened(open.JobId, ActorRefs.Nobody));
            return;
        }

        // The job's log spawns the connection's subscriber and answers.
        entry.Actor.Forward(open);
    }

    /// <summary>The time of the reboot that blocks jobs now, if any.</summary>
    private DateTimeOffset? RebootPending(DateTimeOffset now) =>
        _rebootRequestInFlight ? now + RebootDelay
        : _rebootAt is { } at && now < at + RebootGrace ? at
        : null;

    private void HandleRequestReboot(JobProtocol.RequestReboot request)
    {
        var now = _clock.GetUtcNow();
        if (_rebootRequestInFlight)
        {
            Sender.Tell(new JobProtocol.RebootRefused(null, "Another reboot request is being carried out; try again in a moment."));
            return;
        }

        if (!request.Cancel && _running is { } running)
        {
            Sender.Tell(new JobProtocol.RebootRefused(running, $"Job {running} is running; a reboot now could cut dpkg off. Reboot when it has finished."));
            return;
        }

        if (!request.Cancel && RebootPending(now) is { } scheduled)
        {
            Sender.Tell(new JobProtocol.RebootRefused(null, $"A reboot is already scheduled for {scheduled:u}; DELETE /reboot cancels it."));
            return;
        }

        // The root script runs off the actor's thread; until it answers, nothing else may start.
        _rebootRequestInFlight = true;
        var self = Self;
        var sender = Sender;
        var runner = _runner;
        Task.Run(() => runner.RebootAsync(request.Cancel, CancellationToken.None)).PipeTo(
            self,
            success: result => new RebootAnswered(request.Cancel, now + RebootDelay, result, sender),
            failure: ex => new RebootAnswered(request.Cancel, now + RebootDelay, new CancelResult(74, ex.Message), sender));
    }

    private void HandleRebootAnswered(RebootAnswered answered)
    {
        _rebootRequestInFlight = false;
        if (!answered.Result.Signalled)
        {
            _log.Warning("Reboot request ({0}) failed with exit code {1}: {2}", answered.Cancel ? "cancel" : "schedule", answered.Result.ExitCode, answered.Result.Output);
            answered.ReplyTo.Tell(new JobProtocol.RebootFailed(answered.Result.ExitCode, answered.Result.Output));
            return;
        }

        _rebootAt = answered.Cancel ? null : answered.RebootAt;
        _log.Info(answered.Cancel ? "Scheduled reboot cancelled" : "Reboot scheduled for {0:u}", answered.RebootAt);
        answered.ReplyTo.Tell(new JobProtocol.RebootDone(_rebootAt));
    }

    private void HandleCancel(JobProtocol.CancelJob cancel)
    {
        if (!_jobs.TryGetValue(cancel.JobId, out var entry))
        {
            Sender.Tell(new JobProtocol.JobNotFound(cancel.JobId));
        }
        else if (entry.Actor is null)
        {
            Sender.Tell(new JobProtocol.CancelRefused(cancel.JobId, $"The job is not running (it is {entry.Latest.Status})."));
        }
        else
        {
            entry.Actor.Forward(cancel);
        }
    }

    private void HandleReadLog(LogProtocol.ReadLog read)
    {
        if (!_jobs.TryGetValue(read.JobId, out var entry))
        {
            Sender.Tell(new JobProtocol.JobNotFound(read.JobId));
        }
        else if (entry.Actor is null)
        {
            Sender.Tell(new LogProtocol.LogPage(read.JobId, [], More: false));
        }
        else
        {
            entry.Actor.Forward(read);
        }
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
            Context.System.EventStream.Publish(new JobProtocol.JobFinished(updated.Job));
            Prune();
        }
    }

    /// <summary>Forgets and deletes all but the newest jobs. The running job is never pruned.</summary>
    private void Prune()
    {
        var excess = _jobs.Values
            .Where(entry => entry.Latest.JobId != _running)
            .OrderByDescending(entry => entry.Latest.CreatedAt)
            .Skip(Math.Max(0, _settings.MaxJobs - (_running is null ? 0 : 1)))
            .ToArray();
        foreach (var entry in excess)
        {
            var id = entry.Latest.JobId;
            _jobs.Remove(id);
            if (entry.Actor is not null)
            {
                Context.Unwatch(entry.Actor);
                Context.Stop(entry.Actor);
            }

            _log.Info("Pruning job {0}: only the newest {1} jobs are kept", id, _settings.MaxJobs);
            var store = _store;
            var log = _log;
            // Deleting is file-system work: off the actor's thread.
            Task.Run(() =>
            {
                try
                {
                    store.Delete(id);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    log.Warning("Could not delete pruned job {0}: {1}", id, ex.Message);
                }
            });
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
            _log.Error("Job {0} stopped while running; its run goes on, and the next start of the daemon follows it again", stopped.JobId);
            latest = latest with
            {
                Status = JobStatus.Interrupted,
                FinishedAt = _clock.GetUtcNow(),
                Reason = "runnerLost",
                Message = "The job's actor failed while the run went on; the daemon no longer follows it. Restart the daemon to follow the run again. See the daemon's log.",
            };
        }

        if (_running == stopped.JobId)
        {
            _running = null;
            Context.System.EventStream.Publish(new JobProtocol.JobFinished(latest));
        }

        // Keep answering for the job from what is known of it; its lines went with the actor.
        _jobs[stopped.JobId] = new JobEntry(null, latest);
    }

    /// <summary>A known job: its actor while it lives, and its latest known state.</summary>
    private sealed record JobEntry(IActorRef? Actor, JobSnapshot Latest);

    private sealed record JobActorStopped(JobId JobId, IActorRef Actor);
}

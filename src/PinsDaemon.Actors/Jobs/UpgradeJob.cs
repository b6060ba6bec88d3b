using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Apt;
using PinsDaemon.Actors.Logs;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Actors.Runs;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// One upgrade job, named <c>job-{id}</c>: keeps its run. Launches the run outside the daemon (or
/// follows it again after a restart), reads what the run says, asks it to stop on a cancel or a
/// time limit, and decides the outcome (<see cref="JobOutcome"/>) when the run has ended. The
/// lines go to its child <see cref="JobLog"/>, which stores, replays and streams them. Stopping
/// this actor (the daemon is stopping) never touches the run: the next daemon re-attaches.
/// </summary>
public sealed class UpgradeJob : ReceiveActor, IWithTimers
{
    /// <summary>
    /// Output read from the run but not yet on disk: 4 MiB of weight (about 15,000 short lines;
    /// apt's whole output rarely comes close). Past it the run's files are not read further until
    /// the disk catches up; the run itself is not slowed, it writes to its own files. 16 MiB
    /// bought no throughput in the bench and held more lines through garbage collections.
    /// </summary>
    internal const long InFlightWeight = 4 * 1024 * 1024;

    /// <summary>How often a running job tells its parent its line count, for <c>GET /jobs</c>.</summary>
    private static readonly TimeSpan PublishInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait before asking a run that did not exist yet to stop again.</summary>
    private static readonly TimeSpan CancelRetryMax = TimeSpan.FromSeconds(5);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobSetup _setup;
    private readonly JobId _id;
    private readonly RunName _run;
    private readonly IRunner _runner;
    private readonly JobSupervisorSettings _settings;
    private readonly TimeProvider _clock;
    private readonly JobFileWriter _files;
    private readonly OutputGate _gate = new(InFlightWeight);
    private readonly JobReport _report;
    private readonly List<AuditEntry> _audit = [];

    private JobSnapshot _snapshot;
    private IActorRef _jobLog = ActorRefs.Nobody;
    private RunFollower? _follower;
    private RunState _runState;
    private StopRequest _stop;

    /// <summary>Stop requests that did not reach the run in a row (see <see cref="HandleCancelSent"/>).</summary>
    private int _cancelMisses;
    private DateTimeOffset _lastOutputAt;
    private bool _unpublished;

    /// <summary>The status decided when the run ended, taken on once the log has every line.</summary>
    private JobStatus _pendingStatus;

    /// <summary>When the run ended: its exit record's time, or when the daemon found it gone.</summary>
    private DateTimeOffset _endedAt;

    public UpgradeJob(JobSetup setup)
    {
        _setup = setup;
        _snapshot = setup.Job;
        _id = setup.Job.JobId;
        _run = new RunName(setup.Job.DryRun, _id);
        _runner = setup.Runner;
        _settings = setup.Settings;
        _clock = setup.Clock;
        _files = new JobFileWriter(setup.Store, _id, _log);
        _report = new JobReport(setup.Job.DryRun, setup.Runner.StatusOnStdout);
        _audit.AddRange(setup.Job.Audit);
        // A job followed again after a restart is past its launch, whatever run.json says: a
        // launch cut short by the restart either started the run or left nothing to follow.
        _runState = setup.Resume is { } resume
            ? resume.Run with { State = RunState.Launched }
            : new RunState(_run.ToString(), _run.DryRun, _runner.RunsDirectory, RunState.Launching, null, null);
        _stop = _runState.Stop switch
        {
            "cancel" => StopRequest.Cancel,
            "timeout" => StopRequest.Timeout,
            _ => StopRequest.None,
        };

        if (setup.Job.Status.IsFinal())
        {
            Finished();
        }
        else if (setup.Resume is null)
        {
            Launching();
        }
        else
        {
            Running();
        }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(JobSetup setup) => Akka.Actor.Props.Create(() => new UpgradeJob(setup));

    public static string ActorName(JobId id) => $"job-{id}";

    private RunFiles RunFiles => new(_runState.RunsDirectory, _run);

    protected override void PreStart()
    {
        var final = _snapshot.Status.IsFinal();
        _jobLog = Context.ActorOf(
            JobLog.Props(new JobLogSetup(
                _id,
                _setup.Store.DirectoryOf(_id),
                _setup.Resume?.Checkpoint ?? new LogCheckpoint(_snapshot.LineCount, 0, RunPosition.Start),
                final ? new StreamProtocol.LogEnd(_id, _snapshot.Status, _snapshot.ExitCode, _snapshot.LineCount, _snapshot.Message) : null,
                _snapshot.LogIncomplete,
                _gate,
                _clock,
                _setup.Store.OpenAppend)).WithDispatcher(Context.Props.Dispatcher),
            "log");
        if (final)
        {
            return;
        }

        _lastOutputAt = _clock.GetUtcNow();
        Timers.StartPeriodicTimer(nameof(PublishTick), PublishTick.Instance, PublishInterval);
        var idleCheck = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, _settings.IdleWarning.Ticks / 4));
        Timers.StartPeriodicTimer(nameof(IdleCheck), IdleCheck.Instance, idleCheck);
        var elapsed = _clock.GetUtcNow() - (_snapshot.StartedAt ?? _snapshot.CreatedAt);
        Timers.StartSingleTimer(nameof(TimeLimitReached), TimeLimitReached.Instance, _settings.Timeout - elapsed > TimeSpan.Zero ? _settings.Timeout - elapsed : TimeSpan.Zero);

        if (_setup.Resume is null)
        {
            Launch();
        }
        else
        {
            _log.Info("Job {0}: following its run {1} again from {2} (line {3})", _id, _run, _setup.Resume.Checkpoint.Position, _setup.Resume.Checkpoint.Seq);
            Follow(_setup.Resume.Checkpoint.Position);
        }

        Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
    }

    protected override void PostStop()
    {
        // The daemon is stopping (or this actor failed): stop reading, never the run. The job
        // stays "running" on disk, and the next daemon follows the run from the checkpoint.
        _follower?.Stop();
        if (!_snapshot.Status.IsFinal())
        {
            _log.Info("Job {0}: the daemon stops following its run {1}; the run goes on", _id, _run);
        }

        _files.Flushed.Wait(TimeSpan.FromSeconds(5));
    }

    /// <summary>The run is being started: persisted as launching before the launcher runs.</summary>
    private void Launching()
    {
        Receive<Launched>(HandleLaunched);
        Receive<JobProtocol.CancelJob>(HandleCancel);
        Receive<TimeLimitReached>(_ => HandleTimeLimit());
        Receive<IdleCheck>(_ => { });
        Common();
    }

    private void Running()
    {
        Receive<OutputRead>(HandleOutput);
        Receive<RunEnded>(HandleRunEnded);
        Receive<JobProtocol.CancelJob>(HandleCancel);
        Receive<TimeLimitReached>(_ => HandleTimeLimit());
        Receive<IdleCheck>(_ => HandleIdleCheck());
        Receive<RetryCancel>(_ => RetryStop());
        Common();
    }

    /// <summary>The outcome is decided; the log is storing its last lines.</summary>
    private void Ending()
    {
        Receive<LogProtocol.Completed>(HandleLogCompleted);
        Receive<JobProtocol.CancelJob>(cancel => RefuseCancel(cancel, "refused: the run had ended", "The run has ended; the job is being finished."));
        Receive<TimeLimitReached>(_ => { });
        Receive<IdleCheck>(_ => { });
        Common();
    }

    private void Finished()
    {
        Receive<JobProtocol.CancelJob>(cancel =>
            RefuseCancel(cancel, $"refused: the job had already ended ({_snapshot.Status})", $"The job is not running: it ended {_snapshot.Status.WireName()}."));
        Receive<TimeLimitReached>(_ => { });
        Receive<IdleCheck>(_ => { });
        Common();
    }

    private void Common()
    {
        Receive<LogProtocol.Published>(HandlePublished);
        Receive<CancelSent>(HandleCancelSent);
        Receive<RetryCancel>(_ => { });
        Receive<PublishTick>(_ => HandlePublishTick());
        Receive<JobProtocol.GetJob>(_ => Sender.Tell(new JobProtocol.JobFound(Snapshot())));
        Receive<JobProtocol.RecordAudit>(HandleRecordAudit);
        Receive<LogProtocol.OpenLogStream>(open => _jobLog.Forward(open));
        Receive<LogProtocol.ReadLog>(read => _jobLog.Forward(read));
        Receive<LogProtocol.ReleaseWindow>(release => _jobLog.Forward(release));
    }

    private void Launch()
    {
        var self = Self;
        var runner = _runner;
        var files = _files;
        var run = _run;
        var options = RunOptions.Of(_snapshot);
        var launching = _runState;
        var runFiles = RunFiles;
        _snapshot = _snapshot with { StartedAt = _clock.GetUtcNow() };
        _files.WriteMeta(Snapshot());
        // Off the actor's thread from the first line: it writes files and waits on sudo.
        Task.Run(LaunchAsync).PipeTo(self, success: launched => launched, failure: ex => new Launched(new LaunchResult(74, ex.Message), null));
        _log.Info("Job {0}: starting run {1}", _id, run);
        return;

        async Task<Launched> LaunchAsync()
        {
            // Persisted before anything runs: a daemon that dies from here on looks for the run.
            await files.WriteRunState(launching).ConfigureAwait(false);
            var result = await runner.LaunchAsync(run, options, CancellationToken.None).ConfigureAwait(false);
            return new Launched(result, result.Started ? RunRecord.Parse(await Task.Run(() => File.Exists(runFiles.Run) ? File.ReadAllText(runFiles.Run) : string.Empty).ConfigureAwait(false)) : null);
        }
    }

    private void HandleLaunched(Launched launched)
    {
        if (!launched.Result.Started)
        {
            _log.Warning("Job {0}: run {1} did not start (exit code {2}): {3}", _id, _run, launched.Result.ExitCode, launched.Result.Output);
            Decide(new RunEnd.NotStarted(launched.Result.ExitCode, launched.Result.Output));
            return;
        }

        _runState = _runState with { State = RunState.Launched, Supervisor = launched.Record?.Supervisor ?? _runner.Supervisor };
        _snapshot = _snapshot with { Supervisor = _runState.Supervisor };
        _files.WriteRunState(_runState);
        _files.WriteMeta(Snapshot());
        Follow(RunPosition.Start);
        Become(Running);
        if (_stop != StopRequest.None)
        {
            // Asked to stop while it was being started: ask the run now.
            SendCancel();
        }
    }

    private void Follow(RunPosition from)
    {
        var self = Self;
        var gate = _gate;
        _follower = new RunFollower(RunFiles, from, _runner, async output =>
        {
            await gate.WaitAsync(output.Weight).ConfigureAwait(false);
            self.Tell(new OutputRead(output));
        });
        _follower.Completion.PipeTo(self, success: end => new RunEnded(end), failure: ex => new RunEnded(null, ex));
    }

    private void HandleOutput(OutputRead read)
    {
        var output = read.Output;
        var progressChanged = false;
        foreach (var evt in output.Events)
        {
            progressChanged |= _report.ApplyEvent(evt);
        }

        if (_snapshot.Supervisor is null && _runState.Supervisor is not null)
        {
            _snapshot = _snapshot with { Supervisor = _runState.Supervisor };
        }

        var lines = new List<OutputLine>(output.Lines.Count);
        foreach (var line in output.Lines)
        {
            // Status-channel lines (progress, phase) are not log lines and take no seq.
            if (_report.Observe(line, out var moved) && !output.ReportOnly)
            {
                lines.Add(line);
            }

            progressChanged |= moved;
        }

        if (!output.ReportOnly)
        {
            if (output.Lines.Count > 0)
            {
                _lastOutputAt = _clock.GetUtcNow();
                _snapshot = _snapshot with { Warning = null };
            }

            _jobLog.Tell(new LogProtocol.Append(lines, output.After));
        }

        // What the log takes it gives back once stored; the rest comes back now.
        var kept = output.ReportOnly ? 0 : lines.Count == output.Lines.Count ? output.Weight : OutputLine.WeightOf(lines);
        _gate.Release(output.Weight - kept);
        if (progressChanged && _report.Progress is { } progress)
        {
            _jobLog.Tell(new LogProtocol.Progress(progress));
            _unpublished = true;
        }
    }

    private void HandleCancel(JobProtocol.CancelJob cancel)
    {
        if (!_report.IsCancellable)
        {
            RefuseCancel(
                cancel,
                "refused: dpkg was changing the system",
                "dpkg has started changing the system; stopping it now could leave packages half-installed. The upgrade will run to completion.");
            return;
        }

        Audit(cancel.Client, "cancel", "accepted");
        _log.Info("Job {0}: cancel requested by {1}; asking run {2} to stop", _id, cancel.Client, _run);
        RequestStop(StopRequest.Cancel);
        Sender.Tell(new JobProtocol.CancelAccepted(Snapshot()));
    }

    private void RefuseCancel(JobProtocol.CancelJob cancel, string audit, string reason)
    {
        Audit(cancel.Client, "cancel", audit);
        Sender.Tell(new JobProtocol.CancelRefused(_id, reason));
    }

    private void HandleTimeLimit()
    {
        if (!_report.IsCancellable)
        {
            // Never cut dpkg off: let it finish, and say why the job runs long.
            _snapshot = _snapshot with { Warning = $"The job ran past Upgrade:Timeout ({_settings.Timeout}) while dpkg was changing the system; it is left to finish." };
            _log.Warning("Job {0}: {1}", _id, _snapshot.Warning);
            return;
        }

        _log.Warning("Job {0} ran past Upgrade:Timeout ({1}); asking run {2} to stop", _id, _settings.Timeout, _run);
        RequestStop(StopRequest.Timeout);
    }

    /// <summary>Records who asks the run to stop (it survives a restart) and asks the run, once it exists.</summary>
    private void RequestStop(StopRequest stop)
    {
        if (_stop == StopRequest.None)
        {
            _stop = stop;
            _runState = _runState with { Stop = stop == StopRequest.Cancel ? "cancel" : "timeout" };
            _files.WriteRunState(_runState);
        }

        if (_runState.State == RunState.Launched)
        {
            SendCancel();
        }
    }

    private void SendCancel()
    {
        var self = Self;
        var files = _files;
        var runner = _runner;
        var run = _run;
        Task.Run(CancelAsync).PipeTo(self, failure: ex => new CancelSent(new CancelResult(1, ex.Message)));
        return;

        async Task<CancelSent> CancelAsync()
        {
            // The stop request is on disk before the run hears of it.
            await files.Flushed.ConfigureAwait(false);
            return new CancelSent(await runner.CancelAsync(run, CancellationToken.None).ConfigureAwait(false));
        }
    }

    private void HandleCancelSent(CancelSent sent)
    {
        if (sent.Result.Signalled)
        {
            _cancelMisses = 0;
            return;
        }

        // The run had already ended (its exit record tells how, and the job leaves Running), or it
        // does not exist yet: right after the launch, its unit or session may not have written its
        // record, and the launcher answers "no active run". The stop was promised, so ask again
        // while the run is followed, backing off to every few seconds.
        _cancelMisses++;
        if (_cancelMisses == 1)
        {
            _log.Info("Job {0}: the stop request did not reach run {1} (exit code {2}): {3}; asking again while it runs", _id, _run, sent.Result.ExitCode, sent.Result.Output);
        }

        var delay = TimeSpan.FromMilliseconds(Math.Min(CancelRetryMax.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(_cancelMisses, 10))));
        Timers.StartSingleTimer(nameof(RetryCancel), RetryCancel.Instance, delay);
    }

    private void RetryStop()
    {
        if (!_report.IsCancellable)
        {
            // dpkg started before the run could be reached: the run goes on to its end, as a cancel
            // asked for now would be refused.
            _log.Info("Job {0}: dpkg started before the stop request reached run {1}; the run finishes", _id, _run);
            return;
        }

        SendCancel();
    }

    private void HandleIdleCheck()
    {
        var idle = _clock.GetUtcNow() - _lastOutputAt;
        if (_snapshot.Warning is null && idle >= _settings.IdleWarning)
        {
            _snapshot = _snapshot with { Warning = $"No output for {FormatDuration(idle)}: the script is probably waiting, for example for a lock held by another package manager." };
            Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
        }
    }

    private static string FormatDuration(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min" : $"{(int)span.TotalSeconds} s";

    private void HandleRunEnded(RunEnded ended)
    {
        _follower = null;
        if (ended.End is null)
        {
            _log.Error(ended.Fault, "Job {0} lost track of its run {1}", _id, _run);
            Decide(new RunEnd.Lost(RunLostReason.RunnerLost, null));
            return;
        }

        Decide(ended.End);
    }

    private void Decide(RunEnd end)
    {
        var result = JobOutcome.Decide(_run.DryRun, end, _report.Facts, _stop, _settings.Timeout, _settings.UseSudo);
        _snapshot = _snapshot with
        {
            ExitCode = result.ExitCode,
            Message = result.Message,
            Reason = result.Reason,
            Plan = result.Plan,
            KeptBack = result.KeptBack,
            Autoremovable = result.Autoremovable,
            Upgraded = result.Upgraded,
            Removed = result.Removed,
            RebootRequired = result.RebootRequired,
            RebootRequiredPackages = result.RebootRequiredPackages,
            ServicesNeedingRestart = result.ServicesNeedingRestart,
            Warning = null,
        };
        _pendingStatus = result.Status;
        _endedAt = EndedAt(end);
        _log.Info("Job {0}: run {1} ended ({2}); {3}", _id, _run, end, result.Status);
        Timers.Cancel(nameof(TimeLimitReached));
        Timers.Cancel(nameof(IdleCheck));
        Timers.Cancel(nameof(RetryCancel));
        _jobLog.Tell(new LogProtocol.Complete(result.Status, result.ExitCode, result.Message));
        Become(Ending);
    }

    private void HandleLogCompleted(LogProtocol.Completed completed)
    {
        _snapshot = _snapshot with
        {
            Status = _pendingStatus,
            FinishedAt = _endedAt,
            LineCount = completed.LastSeq,
            LogIncomplete = completed.LogIncomplete,
            Progress = null,
        };
        Timers.Cancel(nameof(PublishTick));
        _log.Info("Job {0} {1} (exit code {2}, {3} lines)", _id, _snapshot.Status, _snapshot.ExitCode?.ToString() ?? "none", _snapshot.LineCount);
        _files.WriteMeta(Snapshot());
        Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
        Become(Finished);
    }

    /// <summary>
    /// The job's <c>finishedAt</c>: when the run ended, which its exit record's time says even
    /// if the daemon was down then, not when the daemon had finished storing its lines. Kept
    /// between the start and now, whatever the file system's clock said.
    /// </summary>
    private DateTimeOffset EndedAt(RunEnd end)
    {
        var now = _clock.GetUtcNow();
        var started = _snapshot.StartedAt ?? _snapshot.CreatedAt;
        return end is RunEnd.Exited { Record.WrittenAt: { } written } && written >= started && written <= now ? written : now;
    }

    private void HandlePublished(LogProtocol.Published published)
    {
        _unpublished |= published.LastSeq != _snapshot.LineCount || published.LogIncomplete != _snapshot.LogIncomplete;
        var becameIncomplete = published.LogIncomplete && !_snapshot.LogIncomplete;
        _snapshot = _snapshot with { LineCount = published.LastSeq, LogIncomplete = published.LogIncomplete };
        if (becameIncomplete)
        {
            Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
        }
    }

    private void HandlePublishTick()
    {
        if (_unpublished)
        {
            _unpublished = false;
            Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
        }
    }

    private void Audit(string client, string action, string outcome) =>
        HandleRecordAudit(new JobProtocol.RecordAudit(new AuditEntry(_clock.GetUtcNow(), client, action, outcome)));

    private void HandleRecordAudit(JobProtocol.RecordAudit record)
    {
        if (_audit.Count >= AuditEntry.MaxPerJob)
        {
            // Keep the first (who started it) and the most recent.
            _audit.RemoveAt(1);
        }

        _audit.Add(record.Entry);
        _files.WriteMeta(Snapshot());
    }

    private JobSnapshot Snapshot() => _snapshot with
    {
        Audit = _audit.ToArray(),
        Progress = _snapshot.Status.IsFinal() ? null : _report.Progress,
        Cancellable = !_snapshot.Status.IsFinal() && _report.IsCancellable && _stop == StopRequest.None,
    };

    private sealed record Launched(LaunchResult Result, RunRecord? Record);

    private sealed record OutputRead(RunOutput Output);

    private sealed record RunEnded(RunEnd? End, Exception? Fault = null);

    private sealed record CancelSent(CancelResult Result);

    private sealed record PublishTick
    {
        public static readonly PublishTick Instance = new();
    }

    private sealed record TimeLimitReached
    {
        public static readonly TimeLimitReached Instance = new();
    }

    private sealed record IdleCheck
    {
        public static readonly IdleCheck Instance = new();
    }

    private sealed record RetryCancel
    {
        public static readonly RetryCancel Instance = new();
    }
}

/// <summary>
/// What an <see cref="UpgradeJob"/> starts from: the job as known (a new one, one still running
/// on disk, or one that is over), and, for one that was running, its run and log checkpoint.
/// </summary>
public sealed record JobSetup(
    JobSnapshot Job,
    JobResume? Resume,
    JobSupervisorSettings Settings,
    IRunner Runner,
    JobStore Store,
    TimeProvider Clock);

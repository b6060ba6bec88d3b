using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Apt;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Actors.Storage;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// One upgrade run, named <c>job-{id}</c>. Owns the script's process, numbers every output line,
/// appends the lines to the job's stored log, keeps a bounded window of recent lines, and pushes
/// new lines to the subscribers that have caught up. After the run (or when restored from disk
/// after a restart) it answers status queries and replays from the stored log.
/// </summary>
public sealed class UpgradeJob : ReceiveActor, IWithTimers
{
    /// <summary>
    /// Lines per replay batch: large enough that a late subscriber catches up in a few round
    /// trips, small enough that one batch never dominates a connection's buffer.
    /// </summary>
    internal const int MaxReplayBatchLines = 1024;

    /// <summary>
    /// Recent lines kept in memory: 65536 lines or 4 MiB, whichever is smaller (the size is the
    /// real bound; the count only caps the queue for very short lines). Covers every subscriber
    /// that is live or nearly so, shared by all of them; anyone further behind reads from disk.
    /// </summary>
    internal const int WindowLines = 65536;

    internal const long WindowWeight = 4 * 1024 * 1024;

    /// <summary>
    /// Output read from the script but not yet on disk: 16 MiB. Past it the pumps stop reading
    /// and the script waits; apt's output never comes close, a `seq 1 100000` burst fits.
    /// </summary>
    internal const long InFlightWeight = 16 * 1024 * 1024;

    /// <summary>A replay that finds its lines not yet on disk retries every 20 ms for up to 2 s before giving up on them.</summary>
    private const int MaxDiskReadAttempts = 100;

    private static readonly TimeSpan DiskRetryDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// How long a finished job keeps its window of recent lines after the last request for lines:
    /// long enough for the clients that were following it, short enough that a series of jobs
    /// does not hold several windows at once (measured in bench/).
    /// </summary>
    private static readonly TimeSpan WindowRetention = TimeSpan.FromSeconds(5);

    /// <summary>How often a running job tells its parent its line count, for <c>GET /jobs</c>.</summary>
    private static readonly TimeSpan PublishInterval = TimeSpan.FromMilliseconds(500);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobId _id;
    private readonly bool _dryRun;
    private readonly DateTimeOffset _createdAt;
    private readonly UpgradeCommand? _command;
    private readonly JobSupervisorSettings? _settings;
    private readonly IProcessLauncher? _launcher;
    private readonly JobReport? _report;
    private readonly JobSnapshot? _restored;
    private readonly JobStore _store;
    private readonly TimeProvider _clock;
    private readonly LogWindow _window = new(WindowLines, WindowWeight);
    private readonly HashSet<IActorRef> _live = [];
    private readonly List<AuditEntry> _audit = [];
    private readonly OutputGate _gate = new(InFlightWeight);

    private JobStatus _status;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset? _finishedAt;
    private int? _exitCode;
    private string? _message;
    private long _lastSeq;
    private bool _logIncomplete;
    private JobLogFile? _stored;
    private IUpgradeProcess? _process;
    private bool _unpublishedLines;

    /// <summary>True once every line is on disk (the writer finished, or the job was restored from disk).</summary>
    private bool _allStored;

    private string? _reason;
    private string? _warning;
    private DateTimeOffset _lastOutputAt;
    private StopRequest _stopRequested;

    /// <summary>A new run: the process starts when the actor does.</summary>
    public UpgradeJob(JobId id, bool dryRun, DateTimeOffset createdAt, JobSupervisorSettings settings, IProcessLauncher launcher, JobStore store, TimeProvider clock, IReadOnlyList<AuditEntry> audit)
    {
        _audit.AddRange(audit);
        _id = id;
        _dryRun = dryRun;
        _createdAt = createdAt;
        _settings = settings;
        _command = settings.CommandFor(dryRun);
        _report = new JobReport(dryRun, settings.UseSudo);
        _launcher = launcher;
        _store = store;
        _clock = clock;
        _status = JobStatus.Running;
        Running();
    }

    /// <summary>A run that is over, restored from the store: answers queries and replays from disk.</summary>
    public UpgradeJob(JobSnapshot finished, JobStore store, TimeProvider clock)
    {
        _id = finished.JobId;
        _dryRun = finished.DryRun;
        _createdAt = finished.CreatedAt;
        _store = store;
        _clock = clock;
        _status = finished.Status;
        _startedAt = finished.StartedAt;
        _finishedAt = finished.FinishedAt;
        _exitCode = finished.ExitCode;
        _message = finished.Message;
        _lastSeq = finished.LineCount;
        _logIncomplete = finished.LogIncomplete;
        _audit.AddRange(finished.Audit);
        _restored = finished;
        _reason = finished.Reason;
        _stored = store.OpenLog(finished.JobId);
        _allStored = true;
        Finished();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(JobId id, bool dryRun, DateTimeOffset createdAt, JobSupervisorSettings settings, IProcessLauncher launcher, JobStore store, TimeProvider clock, IReadOnlyList<AuditEntry>? audit = null) =>
        Akka.Actor.Props.Create(() => new UpgradeJob(id, dryRun, createdAt, settings, launcher, store, clock, audit ?? Array.Empty<AuditEntry>()));

    public static Props PropsForFinished(JobSnapshot finished, JobStore store, TimeProvider clock)
    {
        if (!finished.Status.IsFinal())
        {
            throw new ArgumentException("only a finished job can be restored", nameof(finished));
        }

        return Akka.Actor.Props.Create(() => new UpgradeJob(finished, store, clock));
    }

    public static string ActorName(JobId id) => $"job-{id}";

    protected override void PreStart()
    {
        if (_status.IsFinal())
        {
            return;
        }

        var self = Self;
        OpenStoredLog(self);
        try
        {
            var gate = _gate;
            _process = _launcher!.Start(_command!, async lines =>
            {
                await gate.WaitAsync(OutputLine.WeightOf(lines)).ConfigureAwait(false);
                self.Tell(new OutputRead(lines));
            });
        }
        catch (Exception ex)
        {
            _log.Warning("Job {0} could not start {1}: {2}", _id, _command, ex.Message);
            _reason = "startFailed";
            Finish(JobStatus.Failed, exitCode: null, $"The upgrade script could not be started: {ex.Message}");
            return;
        }

        _startedAt = _clock.GetUtcNow();
        _lastOutputAt = _startedAt.Value;
        Timers.StartSingleTimer(nameof(TimeLimitReached), TimeLimitReached.Instance, _settings!.Timeout);
        var idleCheck = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, _settings.IdleWarning.Ticks / 4));
        Timers.StartPeriodicTimer(nameof(IdleCheck), IdleCheck.Instance, idleCheck);
        _log.Info("Job {0} started: {1}", _id, _command);
        _stored?.WriteMeta(Snapshot());
        _process.Completion.PipeTo(
            self,
            success: exitCode => new ProcessExited(exitCode),
            failure: ex => new ProcessFaulted(ex));
        Timers.StartPeriodicTimer(nameof(PublishTick), PublishTick.Instance, PublishInterval);
        Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
    }

    protected override void PostStop()
    {
        if (_status == JobStatus.Running && _process is not null)
        {
            // Stopped while the script runs (the daemon is stopping, or this actor failed):
            // SIGTERM through sudo, never SIGKILL, so dpkg is not cut off mid-package.
            _log.Warning("Job {0} stopped while its script was running; asking the script to stop", _id);
            _process.Terminate();
            _stored?.WriteMeta(Snapshot() with
            {
                Status = JobStatus.Interrupted,
                FinishedAt = _clock.GetUtcNow(),
                Message = "The daemon stopped while this job was running and asked the script to stop; how far it got is unknown. " +
                          "Check the machine (for example 'sudo dpkg --audit') before upgrading again.",
            });
        }

        _process?.Dispose();

        // The actor is going away (usually the daemon is stopping): give the writer a bounded
        // moment to put the last lines and the state on disk.
        _stored?.CompleteAsync().Wait(TimeSpan.FromSeconds(5));
    }

    private void OpenStoredLog(IActorRef self)
    {
        try
        {
            var gate = _gate;
            _stored = _store.CreateLog(_id, reason => self.Tell(new StorageFailed(reason)), gate.Release);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            HandleStorageFailed(new StorageFailed(ex.Message));
        }
    }

    private void Running()
    {
        Receive<OutputRead>(HandleOutput);
        Receive<ProcessExited>(HandleExited);
        Receive<ProcessFaulted>(HandleFaulted);
        Receive<PublishTick>(HandlePublishTick);
        Receive<JobProtocol.CancelJob>(HandleCancel);
        Receive<TimeLimitReached>(_ => HandleTimeLimit());
        Receive<IdleCheck>(_ => HandleIdleCheck());
        Common();
    }

    private void Finished()
    {
        Receive<LogStored>(HandleLogStored);
        Receive<ReleaseWindow>(_ => _window.Clear());
        Receive<JobProtocol.CancelJob>(cancel =>
        {
            Audit(cancel.Client, "cancel", $"refused: the job had already ended ({_status})");
            Sender.Tell(new JobProtocol.CancelRefused(_id, $"The job is not running: it ended {JsonName(_status)}."));
        });
        Receive<TimeLimitReached>(_ => { });
        Receive<IdleCheck>(_ => { });
        Common();
    }

    private void Common()
    {
        Receive<JobProtocol.FetchLines>(HandleFetch);
        Receive<DiskRead>(HandleDiskRead);
        Receive<RetryDiskRead>(retry => ReadFromDisk(retry.Subscriber, retry.After, retry.Attempt));
        Receive<JobProtocol.ReadLog>(HandleReadLog);
        Receive<StorageFailed>(HandleStorageFailed);
        Receive<JobProtocol.GetJob>(_ => Sender.Tell(new JobProtocol.JobFound(Snapshot())));
        Receive<JobProtocol.RecordAudit>(HandleRecordAudit);
        Receive<Unsubscribe>(message => _live.Remove(message.Subscriber));
    }

    private void HandleOutput(OutputRead message)
    {
        var now = _clock.GetUtcNow();
        _lastOutputAt = now;
        _warning = null;
        var batch = new List<LogLine>(message.Lines.Count);
        var progressChanged = false;
        foreach (var line in message.Lines)
        {
            // Status-channel lines (progress, phase) are not log lines and take no seq.
            if (!_report!.Observe(line, out var moved))
            {
                progressChanged |= moved;
                continue;
            }

            var logLine = new LogLine(++_lastSeq, line.Stream, now, ControlCharacters.Neutralize(line.Text));
            _window.Add(logLine);
            batch.Add(logLine);
        }

        if (batch.Count == 0 || _stored is null || !_stored.Append(batch))
        {
            // Nothing will write these lines: their credit comes back at once.
            _gate.Release(OutputLine.WeightOf(message.Lines));
        }
        else if (batch.Count < message.Lines.Count)
        {
            // The status lines among them were not stored; give their share back.
            _gate.Release(OutputLine.WeightOf(message.Lines) - batch.Sum(static line => (long)line.Weight));
        }

        _unpublishedLines |= batch.Count > 0 || progressChanged;
        if (_live.Count == 0)
        {
            return;
        }

        if (batch.Count > 0)
        {
            var live = new JobProtocol.LogBatch(_id, batch, Live: true);
            foreach (var subscriber in _live)
            {
                subscriber.Tell(live);
            }
        }

        if (progressChanged)
        {
            var progress = ProgressBatch();
            foreach (var subscriber in _live)
            {
                subscriber.Tell(progress);
            }
        }
    }

    private JobProtocol.LogBatch ProgressBatch() => new(_id, [], Live: true) { Progress = _report?.Progress };

    private void HandleCancel(JobProtocol.CancelJob cancel)
    {
        if (!_report!.IsCancellable || _report.CancelRefusedByScript)
        {
            Audit(cancel.Client, "cancel", "refused: dpkg was changing the system");
            Sender.Tell(new JobProtocol.CancelRefused(
                _id,
                "dpkg has started changing the system; stopping it now could leave packages half-installed. The upgrade will run to completion."));
            return;
        }

        Audit(cancel.Client, "cancel", "accepted");
        _log.Info("Job {0}: cancel requested by {1}; asking the script to stop", _id, cancel.Client);
        _stopRequested = StopRequest.Cancel;
        _process?.Terminate();
        Sender.Tell(new JobProtocol.CancelAccepted(Snapshot()));
    }

    private void HandleTimeLimit()
    {
        if (!_report!.IsCancellable)
        {
            // Never cut dpkg off: let it finish, and say why the job runs long.
            _warning = $"The job ran past Upgrade:Timeout ({_settings!.Timeout}) while dpkg was changing the system; it is left to finish.";
            _log.Warning("Job {0}: {1}", _id, _warning);
            return;
        }

        _log.Warning("Job {0} ran past Upgrade:Timeout ({1}); asking the script to stop", _id, _settings!.Timeout);
        _stopRequested = StopRequest.Timeout;
        _process?.Terminate();
    }

    private void HandleIdleCheck()
    {
        var idle = _clock.GetUtcNow() - _lastOutputAt;
        if (_warning is null && idle >= _settings!.IdleWarning)
        {
            _warning = $"No output for {FormatDuration(idle)}: the script is probably waiting, for example for a lock held by another package manager.";
            Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
        }
    }

    private static string FormatDuration(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min" : $"{(int)span.TotalSeconds} s";

    private void Audit(string client, string action, string outcome) =>
        HandleRecordAudit(new JobProtocol.RecordAudit(new AuditEntry(_clock.GetUtcNow(), client, action, outcome)));

    private static string JsonName(JobStatus status) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(status.ToString());

    private void HandleFetch(JobProtocol.FetchLines fetch)
    {
        KeepWindowAlive();
        var after = Math.Max(0, fetch.After);
        if (after >= _lastSeq)
        {
            // The subscriber has every line there is: from here on it gets live lines, or the end.
            if (_status.IsFinal())
            {
                Sender.Tell(End());
            }
            else
            {
                if (_live.Add(Sender))
                {
                    Context.WatchWith(Sender, new Unsubscribe(Sender));
                }

                Sender.Tell(new JobProtocol.Live(_id, _lastSeq));
                if (_report?.Progress is not null)
                {
                    Sender.Tell(ProgressBatch());
                }
            }

            return;
        }

        // A live subscriber that fell behind pulls again; it is live again once caught up.
        if (_live.Remove(Sender))
        {
            Context.Unwatch(Sender);
        }

        if (_window.Holds(after) || _stored is null)
        {
            ReplayFromWindow(Sender, after);
            return;
        }

        ReadFromDisk(Sender, after, attempt: 1);
    }

    /// <summary>Older than the window: read from disk off the actor's thread; the answer comes back here.</summary>
    private void ReadFromDisk(IActorRef subscriber, long after, int attempt)
    {
        var self = Self;
        _stored!.ReadAsync(after, MaxReplayBatchLines).PipeTo(
            self,
            success: lines => new DiskRead(subscriber, after, lines, attempt),
            failure: _ => new DiskRead(subscriber, after, [], attempt));
    }

    private void HandleReadLog(JobProtocol.ReadLog read)
    {
        KeepWindowAlive();
        var after = Math.Max(0, read.After);
        if (after >= _lastSeq)
        {
            Sender.Tell(new JobProtocol.LogPage(_id, []));
        }
        else if (_window.Holds(after) || _stored is null)
        {
            Sender.Tell(new JobProtocol.LogPage(_id, _window.After(after, read.Limit)));
        }
        else
        {
            _stored.ReadAsync(after, read.Limit).PipeTo(
                Sender,
                success: lines => new JobProtocol.LogPage(_id, lines),
                failure: _ => new JobProtocol.LogPage(_id, []));
        }
    }

    private void HandleDiskRead(DiskRead read)
    {
        if (read.Lines.Count > 0)
        {
            read.Subscriber.Tell(new JobProtocol.LogBatch(_id, read.Lines, Live: false));
            return;
        }

        if (!_logIncomplete && !_allStored && read.Attempt < MaxDiskReadAttempts)
        {
            // The writer has not flushed these lines yet: ask the disk again shortly.
            Timers.StartSingleTimer(read, new RetryDiskRead(read.Subscriber, read.After, read.Attempt + 1), DiskRetryDelay);
            return;
        }

        // The stored log lacks these lines (a write failed, or it was damaged): say what is known
        // from memory rather than stall the subscriber. The gap in seq shows what is missing.
        if (!_logIncomplete)
        {
            _log.Warning("Job {0}: lines after {1} are missing from the stored log", _id, read.After);
        }

        ReplayFromWindow(read.Subscriber, read.After);
    }

    private void ReplayFromWindow(IActorRef subscriber, long after)
    {
        var lines = _window.After(after, MaxReplayBatchLines);
        if (lines.Length == 0)
        {
            // Nothing between `after` and the end is held anywhere: skip to the end of what exists.
            subscriber.Tell(new JobProtocol.LogBatch(_id, [], Live: false) { SkipTo = _lastSeq });
            return;
        }

        subscriber.Tell(new JobProtocol.LogBatch(_id, lines, Live: false));
    }

    private void HandleExited(ProcessExited message)
    {
        var report = _report!;
        if (message.ExitCode == 0)
        {
            var summary = report.SuccessSummary();
            if (_stopRequested == StopRequest.Cancel)
            {
                summary = $"The cancel arrived after dpkg had started, so the upgrade ran to completion. {summary}".TrimEnd();
            }

            Finish(JobStatus.Succeeded, 0, summary);
            return;
        }

        switch (_stopRequested)
        {
            case StopRequest.Cancel:
                _reason = "cancelled";
                Finish(JobStatus.Cancelled, message.ExitCode, "Cancelled on request before dpkg changed anything.");
                return;
            case StopRequest.Timeout:
                _reason = "timedOut";
                Finish(JobStatus.TimedOut, message.ExitCode, $"Stopped after running longer than Upgrade:Timeout ({_settings!.Timeout}), before dpkg changed anything.");
                return;
        }

        var failure = report.Classify(message.ExitCode);
        _reason = failure.Code;
        Finish(JobStatus.Failed, message.ExitCode, $"{failure.Message} (exit code {message.ExitCode})");
    }

    private void HandleFaulted(ProcessFaulted message)
    {
        _log.Error(message.Cause, "Job {0} lost track of its process", _id);
        _reason = "processLost";
        Finish(JobStatus.Failed, exitCode: null, $"The daemon lost track of the upgrade process: {message.Cause.Message}");
    }

    private void HandleRecordAudit(JobProtocol.RecordAudit record)
    {
        if (_audit.Count >= AuditEntry.MaxPerJob)
        {
            // Keep the first (who started it) and the most recent.
            _audit.RemoveAt(1);
        }

        _audit.Add(record.Entry);
        if (_status.IsFinal())
        {
            // Restored or finished jobs have no writer running; the record is written with the
            // next state change of a running job, or here at once for a finished one.
            TryWriteMetaNow();
        }
        else
        {
            _stored?.WriteMeta(Snapshot());
        }
    }

    private void TryWriteMetaNow()
    {
        var snapshot = Snapshot();
        var store = _store;
        var log = _log;
        Task.Run(() =>
        {
            try
            {
                store.WriteMeta(snapshot);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                log.Warning("Job {0}: could not store its audit record: {1}", snapshot.JobId, ex.Message);
            }
        });
    }

    private void HandleStorageFailed(StorageFailed failed)
    {
        if (_logIncomplete)
        {
            return;
        }

        _logIncomplete = true;
        _log.Error("Job {0}: its log can no longer be stored ({1}); the job goes on and streams live, but its stored log is incomplete", _id, failed.Reason);
        Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
    }

    private void HandleLogStored(LogStored _)
    {
        // Everything is on disk. The window stays a while for the clients that follow the end
        // of the job (sharing its lines beats each of them reading and parsing the disk), and
        // goes once nobody has asked for lines for WindowRetention.
        _allStored = true;
        KeepWindowAlive();
    }

    private void KeepWindowAlive()
    {
        if (_allStored && !_logIncomplete && _window.Count > 0)
        {
            Timers.StartSingleTimer(nameof(ReleaseWindow), ReleaseWindow.Instance, WindowRetention);
        }
    }

    private void HandlePublishTick(PublishTick _)
    {
        if (_unpublishedLines)
        {
            _unpublishedLines = false;
            Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
        }
    }

    private void Finish(JobStatus status, int? exitCode, string? message)
    {
        _status = status;
        _exitCode = exitCode;
        _message = message;
        _finishedAt = _clock.GetUtcNow();
        _process?.Dispose();
        _process = null;
        Timers.Cancel(nameof(PublishTick));
        Timers.Cancel(nameof(TimeLimitReached));
        Timers.Cancel(nameof(IdleCheck));
        _warning = null;
        _log.Info("Job {0} {1} (exit code {2}, {3} lines)", _id, status, exitCode?.ToString() ?? "none", _lastSeq);

        var end = End();
        foreach (var subscriber in _live)
        {
            Context.Unwatch(subscriber);
            subscriber.Tell(end);
        }

        _live.Clear();
        if (_stored is not null)
        {
            _stored.WriteMeta(Snapshot());
            var self = Self;
            _stored.CompleteAsync().PipeTo(self, success: () => LogStored.Instance, failure: _ => LogStored.Instance);
        }

        Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
        Become(Finished);
    }

    private JobProtocol.LogEnd End() => new(_id, _status, _exitCode, _lastSeq, _message);

    private JobSnapshot Snapshot()
    {
        if (_restored is not null)
        {
            return _restored with { Audit = _audit.ToArray(), LogIncomplete = _logIncomplete };
        }

        var report = _report!;
        return new JobSnapshot(_id, _status, _dryRun, _createdAt, _startedAt, _finishedAt, _exitCode, _lastSeq, _message, _logIncomplete, _audit.ToArray())
        {
            Reason = _reason,
            Warning = _warning,
            Progress = _status == JobStatus.Running ? report.Progress : null,
            Cancellable = _status == JobStatus.Running && report.IsCancellable && !report.CancelRefusedByScript && _stopRequested == StopRequest.None,
            Plan = report.Plan?.ToArray(),
            Upgraded = report.Upgraded?.ToArray(),
            RebootRequired = _status.IsFinal() ? report.RebootRequired : null,
            RebootRequiredPackages = report.RebootRequiredPackages?.ToArray(),
            ServicesNeedingRestart = _status.IsFinal() ? report.ServicesNeedingRestart?.ToArray() : null,
        };
    }

    private sealed record OutputRead(IReadOnlyList<OutputLine> Lines);

    private sealed record ProcessExited(int ExitCode);

    private sealed record ProcessFaulted(Exception Cause);

    private sealed record DiskRead(IActorRef Subscriber, long After, IReadOnlyList<LogLine> Lines, int Attempt);

    private sealed record RetryDiskRead(IActorRef Subscriber, long After, int Attempt);

    private sealed record StorageFailed(string Reason);

    private sealed record LogStored
    {
        public static readonly LogStored Instance = new();
    }

    private sealed record Unsubscribe(IActorRef Subscriber);

    private sealed record PublishTick
    {
        public static readonly PublishTick Instance = new();
    }

    private sealed record ReleaseWindow
    {
        public static readonly ReleaseWindow Instance = new();
    }

    private sealed record TimeLimitReached
    {
        public static readonly TimeLimitReached Instance = new();
    }

    private sealed record IdleCheck
    {
        public static readonly IdleCheck Instance = new();
    }

    private enum StopRequest
    {
        None,
        Cancel,
        Timeout,
    }
}

using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Processes;

namespace PinsDaemon.Actors.Jobs;

/// <summary>
/// One upgrade run, named <c>job-{id}</c>. Owns the script's process, numbers every output line,
/// keeps the lines, and pushes new ones to the subscribers that have caught up. Stays alive after
/// the run to answer status queries and replays.
/// </summary>
public sealed class UpgradeJob : ReceiveActor, IWithTimers
{
    /// <summary>
    /// Lines per replay batch: large enough that a late subscriber catches up in a few round
    /// trips, small enough that one batch never dominates a connection's buffer.
    /// </summary>
    internal const int MaxReplayBatchLines = 1024;

    /// <summary>How often a running job tells its parent its line count, for <c>GET /jobs</c>.</summary>
    private static readonly TimeSpan PublishInterval = TimeSpan.FromMilliseconds(500);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobId _id;
    private readonly bool _dryRun;
    private readonly DateTimeOffset _createdAt;
    private readonly UpgradeCommand? _command;
    private readonly IProcessLauncher? _launcher;
    private readonly TimeProvider _clock;
    private readonly List<LogLine> _lines = [];
    private readonly HashSet<IActorRef> _live = [];

    private JobStatus _status;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset? _finishedAt;
    private int? _exitCode;
    private string? _message;
    private IUpgradeProcess? _process;
    private bool _unpublishedLines;

    public UpgradeJob(JobId id, bool dryRun, DateTimeOffset createdAt, UpgradeCommand command, IProcessLauncher launcher, TimeProvider clock)
    {
        _id = id;
        _dryRun = dryRun;
        _createdAt = createdAt;
        _command = command;
        _launcher = launcher;
        _clock = clock;
        _status = JobStatus.Running;
        Running();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private long LastSeq => _lines.Count;

    /// <summary>A new run: the process starts when the actor does.</summary>
    public static Props Props(JobId id, bool dryRun, DateTimeOffset createdAt, UpgradeCommand command, IProcessLauncher launcher, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new UpgradeJob(id, dryRun, createdAt, command, launcher, clock));

    public static string ActorName(JobId id) => $"job-{id}";

    protected override void PreStart()
    {
        var self = Self;
        try
        {
            _process = _launcher!.Start(_command!, lines => self.Tell(new OutputRead(lines)));
        }
        catch (Exception ex)
        {
            _log.Warning("Job {0} could not start {1}: {2}", _id, _command, ex.Message);
            Finish(JobStatus.Failed, exitCode: null, $"The upgrade script could not be started: {ex.Message}");
            return;
        }

        _startedAt = _clock.GetUtcNow();
        _log.Info("Job {0} started: {1}", _id, _command);
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
        }

        _process?.Dispose();
    }

    private void Running()
    {
        Receive<OutputRead>(HandleOutput);
        Receive<ProcessExited>(HandleExited);
        Receive<ProcessFaulted>(HandleFaulted);
        Receive<PublishTick>(HandlePublishTick);
        Common();
    }

    private void Finished()
    {
        Common();
    }

    private void Common()
    {
        Receive<JobProtocol.FetchLines>(HandleFetch);
        Receive<JobProtocol.GetJob>(_ => Sender.Tell(new JobProtocol.JobFound(Snapshot())));
        Receive<Unsubscribe>(message => _live.Remove(message.Subscriber));
    }

    private void HandleOutput(OutputRead message)
    {
        var now = _clock.GetUtcNow();
        var batch = new LogLine[message.Lines.Count];
        for (var i = 0; i < batch.Length; i++)
        {
            var line = message.Lines[i];
            batch[i] = new LogLine(_lines.Count + 1, line.Stream, now, line.Text);
            _lines.Add(batch[i]);
        }

        _unpublishedLines = true;
        if (_live.Count == 0)
        {
            return;
        }

        var live = new JobProtocol.LogBatch(_id, batch, Live: true);
        foreach (var subscriber in _live)
        {
            subscriber.Tell(live);
        }
    }

    private void HandleFetch(JobProtocol.FetchLines fetch)
    {
        var after = Math.Max(0, fetch.After);
        if (after < _lines.Count)
        {
            var count = (int)Math.Min(MaxReplayBatchLines, _lines.Count - after);
            Sender.Tell(new JobProtocol.LogBatch(_id, _lines.GetRange((int)after, count).ToArray(), Live: false));
            return;
        }

        // The subscriber has every line there is: from here on it gets live lines, or the end.
        if (_status.IsFinal())
        {
            Sender.Tell(End());
            return;
        }

        if (_live.Add(Sender))
        {
            Context.WatchWith(Sender, new Unsubscribe(Sender));
        }
    }

    private void HandleExited(ProcessExited message)
    {
        var status = message.ExitCode == 0 ? JobStatus.Succeeded : JobStatus.Failed;
        var text = message.ExitCode == 0 ? null : $"The upgrade script exited with code {message.ExitCode}.";
        Finish(status, message.ExitCode, text);
    }

    private void HandleFaulted(ProcessFaulted message)
    {
        _log.Error(message.Cause, "Job {0} lost track of its process", _id);
        Finish(JobStatus.Failed, exitCode: null, $"The daemon lost track of the upgrade process: {message.Cause.Message}");
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
        Timers.CancelAll();
        _log.Info("Job {0} {1} (exit code {2}, {3} lines)", _id, status, exitCode?.ToString() ?? "none", _lines.Count);

        var end = End();
        foreach (var subscriber in _live)
        {
            Context.Unwatch(subscriber);
            subscriber.Tell(end);
        }

        _live.Clear();
        Context.Parent.Tell(new JobProtocol.JobUpdated(Snapshot()));
        Become(Finished);
    }

    private JobProtocol.LogEnd End() => new(_id, _status, _exitCode, LastSeq, _message);

    private JobSnapshot Snapshot() =>
        new(_id, _status, _dryRun, _createdAt, _startedAt, _finishedAt, _exitCode, LastSeq, _message);

    private sealed record OutputRead(IReadOnlyList<OutputLine> Lines);

    private sealed record ProcessExited(int ExitCode);

    private sealed record ProcessFaulted(Exception Cause);

    private sealed record Unsubscribe(IActorRef Subscriber);

    private sealed record PublishTick
    {
        public static readonly PublishTick Instance = new();
    }
}

using Akka.Actor;
using Akka.Event;
using PinsDaemon.Actors.Processes;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Logs;

/// <summary>
/// One job's log, a child of its job named <c>log</c>. Numbers the run's lines, stores them,
/// keeps a bounded window of recent lines, replays from the window or the stored log, and pushes
/// new lines to the live <see cref="LogSubscriber"/>s, its children (one per WebSocket). A line
/// is published (to subscribers, to <c>GET /jobs/{id}/log</c>, in the line count) only once it
/// is stored and checkpointed, so a client never sees a line that a crash could renumber.
/// </summary>
public sealed class JobLog : ReceiveActor, IWithTimers
{
    /// <summary>
    /// Lines per replay batch: large enough that a late subscriber catches up in a few round
    /// trips, small enough that one batch never dominates a connection's buffer.
    /// </summary>
    internal const int MaxReplayBatchLines = 1024;

    /// <summary>
    /// Frame bytes per replay batch: a thousand apt lines fit easily, a thousand 64 KiB lines
    /// (about 64 MiB escaped) do not, so a log of long lines is replayed in small batches.
    /// </summary>
    internal const int MaxReplayBatchBytes = 512 * 1024;

    /// <summary>
    /// Recent lines kept in memory: 65536 lines or 4 MiB, whichever is smaller (the size is the
    /// real bound; the count only caps the queue for very short lines). Covers every subscriber
    /// that is live or nearly so, shared by all of them; anyone further behind reads from disk.
    /// </summary>
    internal const int WindowLines = 65536;

    internal const long WindowWeight = 4 * 1024 * 1024;

    /// <summary>
    /// Weight of a live batch: the run is read (and stored) 64 KiB of each file at a time,
    /// which for short lines is thousands of lines, more than a subscriber's whole buffer
    /// (<see cref="LogStreamBuffer.DefaultMaxWeight"/>). A connection refuses a batch that does
    /// not fit beside what it has queued, and its subscriber then falls back to pulling the
    /// lines one replay round trip at a time; live lines therefore go out in slices that fit
    /// several times over.
    /// </summary>
    internal const long MaxLiveBatchWeight = LogStreamBuffer.DefaultMaxWeight / 8;

    /// <summary>
    /// Stored lines read back for replays, kept for the next subscriber that asks for the same
    /// ones: 4 MiB, like the window, and released with it.
    /// </summary>
    internal const long ReplayCacheWeight = 4 * 1024 * 1024;

    /// <summary>A replay that finds its lines not yet on disk retries every 20 ms for up to 2 s before giving up on them.</summary>
    private const int MaxDiskReadAttempts = 100;

    private static readonly TimeSpan DiskRetryDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// How long a finished job keeps its window of recent lines (and its replay cache) after the
    /// last request for lines: long enough for the clients that were following it. A newer job's
    /// start releases them at once (<see cref="LogProtocol.ReleaseWindow"/>): a series of jobs
    /// held one window each, up to 80 MiB after ten short jobs (bench/README.md).
    /// </summary>
    private static readonly TimeSpan WindowRetention = TimeSpan.FromSeconds(5);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobLogSetup _setup;
    private readonly JobId _id;
    private readonly LogWindow _window = new(WindowLines, WindowWeight);
    private readonly HashSet<IActorRef> _live = [];
    private readonly ReplayCache _replays = new(ReplayCacheWeight);

    /// <summary>Disk reads under way, by the seq they read after, with every subscriber waiting for that read.</summary>
    private readonly Dictionary<long, List<IActorRef>> _reading = [];

    /// <summary>
    /// Numbered lines waiting for the disk before they are published. Bounded by the job's
    /// OutputGate: the run is not read further until the writer gives its credit back.
    /// </summary>
    private readonly Queue<LogLine[]> _unpublished = new();

    private JobLogFile? _file;
    private long _numbered;
    private long _lastSeq;
    private bool _logIncomplete;
    private bool _allStored;
    private JobProgress? _progress;
    private LogProtocol.Complete? _completing;
    private StreamProtocol.LogEnd? _end;
    private long _subscriberCount;

    public JobLog(JobLogSetup setup)
    {
        _setup = setup;
        _id = setup.JobId;
        _numbered = _lastSeq = setup.Start.Seq;
        _logIncomplete = setup.LogIncomplete;

        Receive<LogProtocol.Append>(HandleAppend);
        Receive<Stored>(HandleStored);
        Receive<LogProtocol.Progress>(HandleProgress);
        Receive<LogProtocol.Complete>(HandleComplete);
        Receive<AllStored>(_ => HandleAllStored());
        Receive<StorageFailed>(HandleStorageFailed);
        Receive<StreamProtocol.FetchLines>(HandleFetch);
        Receive<DiskRead>(HandleDiskRead);
        Receive<RetryDiskRead>(retry => ReadFromDisk(retry.After, retry.Attempt));
        Receive<LogProtocol.ReadLog>(HandleReadLog);
        Receive<LogProtocol.OpenLogStream>(HandleOpen);
        Receive<Unsubscribe>(message => { _live.Remove(message.Subscriber); });
        Receive<LogProtocol.ReleaseWindow>(_ => ReleaseWindowIfStored());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(JobLogSetup setup) => Akka.Actor.Props.Create(() => new JobLog(setup));

    protected override void PreStart()
    {
        if (_setup.Finished is { } finished)
        {
            _file = JobLogFile.Open(_setup.Directory);
            _end = finished;
            _allStored = true;
            return;
        }

        var self = Self;
        var gate = _setup.Gate;
        try
        {
            _file = JobLogFile.Create(
                _setup.Directory,
                _setup.Start,
                _setup.OpenAppend,
                reason => self.Tell(new StorageFailed(reason)),
                gate.Release,
                seq => self.Tell(new Stored(seq)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            HandleStorageFailed(new StorageFailed(ex.Message));
        }
    }

    protected override void PostStop()
    {
        // The actor is going away (usually the daemon is stopping): give the writer a bounded
        // moment to put the last lines on disk. The run goes on; the next daemon re-attaches.
        _file?.CompleteAsync().Wait(TimeSpan.FromSeconds(5));
    }

    private void HandleAppend(LogProtocol.Append append)
    {
        var now = _setup.Clock.GetUtcNow();
        var batch = new LogLine[append.Lines.Count];
        for (var i = 0; i < batch.Length; i++)
        {
            var line = append.Lines[i];
            // Where output becomes a log line: stored, replayed and served as neutralised text,
            // so no client ever receives a terminal's control sequences (ControlCharacters).
            batch[i] = new LogLine(++_numbered, line.Stream, now, ControlCharacters.Neutralize(line.Text));
            _window.Add(batch[i]);
        }

        if (_file is null || _logIncomplete || !_file.Append(batch, append.After))
        {
            // Nothing will store these lines: their credit comes back at once, and they are
            // published now, from memory.
            _setup.Gate.Release(OutputLine.WeightOf(append.Lines));
            _unpublished.Enqueue(batch);
            Publish(_numbered);
            return;
        }

        if (batch.Length > 0)
        {
            _unpublished.Enqueue(batch);
        }
    }

    private void HandleStored(Stored stored) => Publish(stored.Seq);

    /// <summary>Pushes the stored lines up to <paramref name="seq"/> to the live subscribers.</summary>
    private void Publish(long seq)
    {
        if (seq <= _lastSeq)
        {
            return;
        }

        while (_unpublished.TryPeek(out var batch) && (batch.Length == 0 || batch[^1].Seq <= seq))
        {
            _unpublished.Dequeue();
            if (batch.Length > 0 && _live.Count > 0)
            {
                PublishLive(batch);
            }
        }

        _lastSeq = seq;
        Context.Parent.Tell(new LogProtocol.Published(_lastSeq, _logIncomplete));
    }

    /// <summary>One stored batch to every live subscriber, in slices of at most <see cref="MaxLiveBatchWeight"/>.</summary>
    private void PublishLive(LogLine[] batch)
    {
        var start = 0;
        while (start < batch.Length)
        {
            var end = start;
            long weight = 0;
            // At least one line per slice, however heavy.
            do
            {
                weight += batch[end++].Weight;
            }
            while (end < batch.Length && weight + batch[end].Weight <= MaxLiveBatchWeight);

            var live = new StreamProtocol.LogBatch(_id, new ArraySegment<LogLine>(batch, start, end - start), Live: true);
            foreach (var subscriber in _live)
            {
                subscriber.Tell(live);
            }

            start = end;
        }
    }

    private void HandleProgress(LogProtocol.Progress progress)
    {
        _progress = progress.Value;
        if (_live.Count == 0)
        {
            return;
        }

        var batch = ProgressBatch();
        foreach (var subscriber in _live)
        {
            subscriber.Tell(batch);
        }
    }

    private StreamProtocol.LogBatch ProgressBatch() => new(_id, [], Live: true) { Progress = _progress };

    private void HandleComplete(LogProtocol.Complete complete)
    {
        _completing = complete;
        _progress = null;
        if (_file is null)
        {
            HandleAllStored();
            return;
        }

        var self = Self;
        _file.CompleteAsync().PipeTo(self, success: () => AllStored.Instance, failure: _ => AllStored.Instance);
    }

    private void HandleAllStored()
    {
        // Whatever could not be stored is still published, from memory.
        Publish(_numbered);
        _allStored = true;
        var complete = _completing!;
        _end = new StreamProtocol.LogEnd(_id, complete.Status, complete.ExitCode, _lastSeq, complete.Message);
        foreach (var subscriber in _live)
        {
            Context.Unwatch(subscriber);
            subscriber.Tell(_end);
        }

        _live.Clear();
        Context.Parent.Tell(new LogProtocol.Completed(_lastSeq, _logIncomplete));
        KeepWindowAlive();
    }

    private void HandleStorageFailed(StorageFailed failed)
    {
        if (_logIncomplete)
        {
            return;
        }

        _logIncomplete = true;
        _log.Error("Job {0}: its log can no longer be stored ({1}); the job goes on and streams live, but its stored log is incomplete", _id, failed.Reason);
        // Lines the writer will now drop are published from memory.
        Publish(_numbered);
        Context.Parent.Tell(new LogProtocol.Published(_lastSeq, _logIncomplete));
    }

    private void HandleOpen(LogProtocol.OpenLogStream open)
    {
        var subscriber = Context.ActorOf(LogSubscriber.Props(open.After, open.Output), $"subscriber-{++_subscriberCount}");
        Sender.Tell(new LogProtocol.LogStreamOpened(_id, subscriber));
    }

    private void HandleFetch(StreamProtocol.FetchLines fetch)
    {
        KeepWindowAlive();
        var after = Math.Max(0, fetch.After);
        if (after >= _lastSeq)
        {
            // The subscriber has every line there is: from here on it gets live lines, or the end.
            if (_end is not null)
            {
                Sender.Tell(_end);
            }
            else
            {
                if (_live.Add(Sender))
                {
                    Context.WatchWith(Sender, new Unsubscribe(Sender));
                }

                Sender.Tell(new StreamProtocol.Live(_id, _lastSeq));
                if (_progress is not null)
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

        if (_window.Holds(after) || _file is null)
        {
            ReplayFromWindow(Sender, after);
            return;
        }

        // Older than the window: lines another subscriber just read, or a read of the disk,
        // shared by every subscriber that asks for the same lines meanwhile.
        if (_replays.After(after, MaxReplayBatchLines, MaxReplayBatchBytes) is { } cached)
        {
            Sender.Tell(new StreamProtocol.LogBatch(_id, cached, Live: false));
            return;
        }

        if (_reading.TryGetValue(after, out var waiting))
        {
            waiting.Add(Sender);
            return;
        }

        _reading[after] = [Sender];
        ReadFromDisk(after, attempt: 1);
    }

    /// <summary>Reads from disk off the actor's thread; the answer comes back here.</summary>
    private void ReadFromDisk(long after, int attempt)
    {
        var self = Self;
        _file!.ReadAsync(after, MaxReplayBatchLines, MaxReplayBatchBytes).PipeTo(
            self,
            success: lines => new DiskRead(after, lines, attempt),
            failure: ex => new DiskRead(after, [], attempt) { Failure = ex });
    }

    private void HandleReadLog(LogProtocol.ReadLog read)
    {
        KeepWindowAlive();
        var after = Math.Max(0, read.After);
        var lastSeq = _lastSeq;
        if (after >= lastSeq)
        {
            Sender.Tell(new LogProtocol.LogPage(_id, [], More: false));
        }
        else if (_window.Holds(after) || _file is null)
        {
            Sender.Tell(Page(_window.After(after, lastSeq, read.Limit, read.MaxBytes), lastSeq));
        }
        else
        {
            // Off the actor's thread; the budget bounds what the read holds, however long the lines.
            _file.ReadAsync(after, read.Limit, read.MaxBytes).PipeTo(
                Sender,
                success: lines => Page(Published(lines, lastSeq), lastSeq),
                failure: _ => new LogProtocol.LogPage(_id, [], More: false));
        }
    }

    private LogProtocol.LogPage Page(IReadOnlyList<LogLine> lines, long lastSeq) =>
        new(_id, lines, More: lines.Count > 0 && lines[^1].Seq < lastSeq);

    /// <summary>Lines read from disk may run ahead of their checkpoint: only published ones go out.</summary>
    private static IReadOnlyList<LogLine> Published(IReadOnlyList<LogLine> lines, long lastSeq) =>
        lines.Count == 0 || lines[^1].Seq <= lastSeq ? lines : lines.Where(line => line.Seq <= lastSeq).ToArray();

    private void HandleDiskRead(DiskRead read)
    {
        var lines = Published(read.Lines, _lastSeq);
        if (lines.Count > 0)
        {
            var batch = lines as LogLine[] ?? [.. lines];
            _replays.Add(batch);
            KeepWindowAlive();
            var replay = new StreamProtocol.LogBatch(_id, batch, Live: false);
            foreach (var subscriber in TakeWaiting(read.After))
            {
                subscriber.Tell(replay);
            }

            return;
        }

        // Not yet flushed (the job runs), or the read itself failed (a transient error, such as
        // running short of memory): ask the disk again shortly. Only a read that succeeds and
        // finds nothing, once every line is stored, means the stored log lacks these lines.
        if (!_logIncomplete && (!_allStored || read.Failure is not null) && read.Attempt < MaxDiskReadAttempts)
        {
            Timers.StartSingleTimer(read.After, new RetryDiskRead(read.After, read.Attempt + 1), DiskRetryDelay);
            return;
        }

        // The stored log lacks these lines (a write failed, or it was damaged): say what is known
        // from memory rather than stall the subscriber. The gap in seq shows what is missing.
        if (read.Failure is not null)
        {
            _log.Warning("Job {0}: reading its stored log after line {1} failed {2} times ({3}); serving what the window holds", _id, read.After, read.Attempt, read.Failure.Message);
        }
        else if (!_logIncomplete)
        {
            _log.Warning("Job {0}: lines after {1} are missing from the stored log", _id, read.After);
        }

        foreach (var subscriber in TakeWaiting(read.After))
        {
            ReplayFromWindow(subscriber, read.After);
        }
    }

    private List<IActorRef> TakeWaiting(long after) => _reading.Remove(after, out var waiting) ? waiting : [];

    private void ReplayFromWindow(IActorRef subscriber, long after)
    {
        var lines = _window.After(after, _lastSeq, MaxReplayBatchLines, MaxReplayBatchBytes);
        if (lines.Length == 0)
        {
            // Nothing between `after` and the end is held anywhere: skip to the end of what exists.
            subscriber.Tell(new StreamProtocol.LogBatch(_id, [], Live: false) { SkipTo = _lastSeq });
            return;
        }

        subscriber.Tell(new StreamProtocol.LogBatch(_id, lines, Live: false));
    }

    private void KeepWindowAlive()
    {
        if (_allStored && !_logIncomplete && (_window.Count > 0 || _replays.Count > 0))
        {
            Timers.StartSingleTimer(nameof(LogProtocol.ReleaseWindow), LogProtocol.ReleaseWindow.Instance, WindowRetention);
        }
    }

    /// <summary>
    /// Gives the window back once every line is on disk, which then serves them. Never before:
    /// until then, or when the stored log is incomplete, the window is the only copy of some lines.
    /// </summary>
    private void ReleaseWindowIfStored()
    {
        if (_allStored && !_logIncomplete)
        {
            Timers.Cancel(nameof(LogProtocol.ReleaseWindow));
            _window.Clear();
            _replays.Clear();
        }
    }

    private sealed record Stored(long Seq);

    private sealed record AllStored
    {
        public static readonly AllStored Instance = new();
    }

    private sealed record StorageFailed(string Reason);

    private sealed record DiskRead(long After, IReadOnlyList<LogLine> Lines, int Attempt)
    {
        /// <summary>Why the read failed, when it did (as opposed to finding no line).</summary>
        public Exception? Failure { get; init; }
    }

    private sealed record RetryDiskRead(long After, int Attempt);

    private sealed record Unsubscribe(IActorRef Subscriber);

}

/// <summary>
/// What a <see cref="JobLog"/> starts from: its job, its directory, where the stored log stands,
/// and, for a job that is over, how it ended.
/// </summary>
/// <param name="Gate">The job's credit between reading the run and storing its lines.</param>
/// <param name="OpenAppend">Opens a file for appending; a seam for tests that make the disk fail.</param>
public sealed record JobLogSetup(
    JobId JobId,
    string Directory,
    LogCheckpoint Start,
    StreamProtocol.LogEnd? Finished,
    bool LogIncomplete,
    OutputGate Gate,
    TimeProvider Clock,
    Func<string, Stream>? OpenAppend = null);

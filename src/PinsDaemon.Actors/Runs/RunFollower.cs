using PinsDaemon.Actors.Processes;
using PinsDaemon.Contracts;

namespace PinsDaemon.Actors.Runs;

/// <summary>
/// Follows one run's files on a background task: whole lines of <c>NAME.out</c> and
/// <c>NAME.err</c> from a saved <see cref="RunPosition"/>, and every status event of
/// <c>NAME.status</c> from its start (events are state: the job rebuilds it from all of them).
/// Once the exit record is there, it reads both files to their end (a last line without a
/// newline included) and completes with the record. A run that is gone without one, or that
/// started on an earlier boot, completes as lost. Stopping the follower never touches the run.
/// </summary>
public sealed class RunFollower
{
    /// <summary>
    /// Between polls of an idle run: short after output, up to this when quiet. A change to the
    /// run's files wakes the follower at once (inotify); the poll is the fallback when the
    /// watcher cannot be had (no inotify instances left) or misses an event.
    /// </summary>
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan MinPollDelay = TimeSpan.FromMilliseconds(5);

    /// <summary>How often an idle run without an exit record is checked for life (it may cost a systemctl call).</summary>
    private static readonly TimeSpan LivenessInterval = TimeSpan.FromSeconds(1);

    private readonly RunFiles _files;
    private readonly RunPosition _from;
    private readonly IRunner _runner;
    private readonly Func<RunOutput, ValueTask> _onOutput;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Released when a run file changed; at most one pending wake-up.</summary>
    private readonly SemaphoreSlim _changed = new(0, 1);

    /// <param name="onOutput">Called with consecutive output, one call at a time; the files are
    /// not read further until it completes (that is how a slow disk holds the reading back).</param>
    public RunFollower(RunFiles files, RunPosition from, IRunner runner, Func<RunOutput, ValueTask> onOutput)
    {
        _files = files;
        _from = from;
        _runner = runner;
        _onOutput = onOutput;
        // A thread of its own, which waits by blocking: every line of the job passes here, and
        // as thread-pool work each read would queue behind the sends to every subscriber.
        Completion = Task.Factory.StartNew(Follow, _stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>How the run ended; cancelled when <see cref="Stop"/> was called first.</summary>
    public Task<RunEnd> Completion { get; }

    /// <summary>Stops reading (the daemon is stopping). The run goes on.</summary>
    public void Stop() => _stop.Cancel();

    private RunEnd Follow()
    {
        var stop = _stop.Token;
        if (_runner.StatusOnStdout && _from.Out > 0)
        {
            ReplayStatusFromStdout(stop);
        }

        using var watcher = Watch();
        using var stdout = new FileLineReader(_files.Out, LogStream.Stdout, _from.Out);
        using var stderr = new FileLineReader(_files.Err, LogStream.Stderr, _from.Err);
        using var status = _runner.StatusOnStdout ? null : new FileLineReader(_files.Status, LogStream.Stdout, 0);
        var attachedAt = DateTimeOffset.UtcNow;
        var lastCheck = DateTimeOffset.MinValue;
        var deadBefore = false;
        var seenAlive = false;
        var delay = MinPollDelay;
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            if (ReadOnce(stdout, stderr, status, final: false))
            {
                delay = MinPollDelay;
                continue;
            }

            // Nothing new. The exit record first, then what is left: a record means every line
            // is already in the files.
            if (ExitRecord.Read(_files.Exit) is { } exit)
            {
                Drain(stdout, stderr, status);
                return new RunEnd.Exited(exit);
            }

            var now = DateTimeOffset.UtcNow;
            if (now - lastCheck >= LivenessInterval)
            {
                lastCheck = now;
                var record = RunRecord.Parse(RecordText.TryRead(_files.Run) ?? string.Empty);
                var liveness = record is null ? RunLiveness.Unknown : _runner.ProbeAsync(_files.Name, record, stop).GetAwaiter().GetResult();
                seenAlive |= liveness == RunLiveness.Alive;
                switch (RunCheck.Decide(record, _runner.CurrentBoot, liveness, deadBefore, seenAlive, now - attachedAt, now))
                {
                    case RunVerdict.RebootDuringRun:
                        Drain(stdout, stderr, status);
                        return new RunEnd.Lost(RunLostReason.RebootDuringRun, record);
                    case RunVerdict.RunnerLost:
                        Drain(stdout, stderr, status);
                        return new RunEnd.Lost(RunLostReason.RunnerLost, record);
                    case RunVerdict.CheckAgain:
                        deadBefore = true;
                        // Look again soon: the exit record is probably being written.
                        lastCheck = now - LivenessInterval + TimeSpan.FromMilliseconds(200);
                        break;
                    default:
                        deadBefore = false;
                        break;
                }
            }

            _changed.Wait(delay, stop);
            delay = TimeSpan.FromTicks(Math.Min(MaxPollDelay.Ticks, delay.Ticks * 2));
        }
    }

    private FileSystemWatcher? Watch()
    {
        try
        {
            var watcher = new FileSystemWatcher(_files.Directory, $"{_files.Name}.*")
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName,
            };
            watcher.Changed += (_, _) => Wake();
            watcher.Created += (_, _) => Wake();
            watcher.Renamed += (_, _) => Wake();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // No watcher (the runs directory is not there yet, or inotify is exhausted): poll.
            return null;
        }
    }

    private void Wake()
    {
        if (_changed.CurrentCount == 0)
        {
            try
            {
                _changed.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another event woke it already.
            }
        }
    }

    private bool ReadOnce(FileLineReader stdout, FileLineReader stderr, FileLineReader? status, bool final)
    {
        var events = new List<OutputLine>();
        var lines = new List<OutputLine>();
        var any = status?.Read(events, final) is true;
        any |= stdout.Read(lines, final);
        any |= stderr.Read(lines, final);
        if (events.Count > 0 || lines.Count > 0)
        {
            Deliver(new RunOutput(lines, events.Select(static e => e.Text).ToArray(), new RunPosition(stdout.Position, stderr.Position)));
        }

        return any;
    }

    /// <summary>Hands output on, and waits (blocking this follower's own thread) until it is taken.</summary>
    private void Deliver(RunOutput output)
    {
        var taken = _onOutput(output);
        if (taken.IsCompleted)
        {
            taken.GetAwaiter().GetResult();
        }
        else
        {
            // Stop() ends the wait too: nobody may be left to take it (the daemon is stopping).
            var task = taken.AsTask();
            task.Wait(_stop.Token);
            task.GetAwaiter().GetResult();
        }
    }

    private void Drain(FileLineReader stdout, FileLineReader stderr, FileLineReader? status)
    {
        while (ReadOnce(stdout, stderr, status, final: true))
        {
        }
    }

    /// <summary>
    /// Re-attaching to a run that speaks the status channel on stdout: the events before the
    /// saved position are read again (they are state), their lines are not (they are stored).
    /// </summary>
    private void ReplayStatusFromStdout(CancellationToken stop)
    {
        // The saved position is the start of a line, so the first part ends with a whole line.
        using var replay = new FileLineReader(_files.Out, LogStream.Stdout, 0, limit: _from.Out);
        var lines = new List<OutputLine>();
        do
        {
            stop.ThrowIfCancellationRequested();
            lines.Clear();
            replay.Read(lines, final: true);
            if (lines.Count > 0)
            {
                Deliver(new RunOutput(lines.ToArray(), [], RunPosition.Start) { ReportOnly = true });
            }
        }
        while (lines.Count > 0);
    }
}

/// <summary>
/// Consecutive output of a run: status events, then lines, and the position after them.
/// <see cref="ReportOnly"/> lines were already stored: they only rebuild what the job learned from them.
/// </summary>
public sealed record RunOutput(IReadOnlyList<OutputLine> Lines, IReadOnlyList<string> Events, RunPosition After)
{
    public bool ReportOnly { get; init; }

    /// <summary>What the lines cost in memory (<see cref="OutputLine.WeightOf"/>), counted once.</summary>
    public long Weight { get; } = OutputLine.WeightOf(Lines);
}

/// <summary>How following a run ended.</summary>
public abstract record RunEnd
{
    private RunEnd()
    {
    }

    /// <summary>The run ended and said how.</summary>
    public sealed record Exited(ExitRecord Record) : RunEnd;

    /// <summary>The run is gone without an exit record.</summary>
    public sealed record Lost(RunLostReason Reason, RunRecord? Record) : RunEnd;

    /// <summary>The run never started: the launcher refused or failed.</summary>
    public sealed record NotStarted(int ExitCode, string Output) : RunEnd;
}

public enum RunLostReason
{
    RebootDuringRun,
    RunnerLost,
}

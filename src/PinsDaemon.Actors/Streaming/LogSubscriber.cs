using Akka.Actor;
using Akka.Event;

namespace PinsDaemon.Actors.Streaming;

/// <summary>
/// One per WebSocket connection, a child of the job's log. Pulls the lines the connection missed
/// from its parent at the pace the connection drains them, then receives live lines,
/// and hands everything to the connection's send loop through a <see cref="LogStreamBuffer"/>.
/// It never touches a socket.
/// </summary>
/// <remarks>
/// When a burst of live output outruns the connection and its buffer is full, the subscriber
/// does not queue more and does not slow the job: it drops the live batches and goes back to
/// pulling from where its connection got to (the job serves that from memory or disk), and
/// becomes live again once caught up. Nothing is lost and memory stays bounded. A connection
/// that makes no progress at all for <see cref="LogStreamBuffer.StallTimeout"/> is closed as too slow.
/// </remarks>
public sealed class LogSubscriber : ReceiveActor
{
    private readonly IActorRef _parent = Context.Parent;
    private readonly LogStreamBuffer _output;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _after;
    private bool _fetchPending;
    private bool _waitingForSpace;

    public LogSubscriber(long after, LogStreamBuffer output)
    {
        _after = after;
        _output = output;

        Receive<StreamProtocol.LogBatch>(HandleBatch);
        // A block body: an expression lambda here would bind to the Func<T, bool> overload,
        // and its false would make every Live message unhandled (a dead letter).
        Receive<StreamProtocol.Live>(_ => { _fetchPending = false; });
        Receive<SpaceAvailable>(HandleSpaceAvailable);
        Receive<Stalled>(_ => HandleStalled());
        Receive<StreamProtocol.LogEnd>(HandleEnd);
    }

    /// <summary>Spawned by the log whose lines it streams: that log is its parent.</summary>
    public static Props Props(long after, LogStreamBuffer output) =>
        Akka.Actor.Props.Create(() => new LogSubscriber(after, output));

    protected override void PreStart() => Fetch();

    protected override void PostStop()
    {
        // Whatever stopped us, the reader must not wait forever; a no-op if the stream already
        // ended or the connection closed. The daemon stopping says so; otherwise the job's log
        // went away with its job (pruned).
        _output.Close(CoordinatedShutdown.Get(Context.System).ShutdownReason is null
            ? LogStreamClosedReason.JobGone
            : LogStreamClosedReason.ShuttingDown);
    }

    private void HandleBatch(StreamProtocol.LogBatch batch)
    {
        if (_output.IsClosed)
        {
            Context.Stop(Self);
            return;
        }

        if (!batch.Live)
        {
            _fetchPending = false;
        }
        else if (batch.Progress is not null && batch.Lines.Count == 0)
        {
            // Progress is state, not log: pass it on when in step with the job, drop it otherwise.
            if (!_waitingForSpace && !_fetchPending)
            {
                _output.TryWrite(batch);
            }

            return;
        }

        // Only the lines this connection does not have yet, and only if they follow on from
        // what it has: a live batch after a gap is dropped, since the gap will be fetched.
        var lines = batch.Lines.Count > 0 && batch.Lines[0].Seq <= _after
            ? batch.Lines.Where(line => line.Seq > _after).ToArray()
            : batch.Lines;
        if (batch.Live && (lines.Count == 0 || lines[0].Seq != _after + 1))
        {
            return;
        }

        if (lines.Count > 0 && (_waitingForSpace || !_output.TryWrite(batch with { Lines = lines })))
        {
            // Full: catch up by pulling once the connection has drained, instead of queueing more.
            WaitForSpace();
            return;
        }

        _after = Math.Max(_after, lines.Count > 0 ? lines[^1].Seq : batch.LastSeq);
        if (!batch.Live)
        {
            Fetch();
        }
    }

    private void WaitForSpace()
    {
        if (_waitingForSpace)
        {
            return;
        }

        _waitingForSpace = true;
        var self = Self;
        _output.WhenSpaceAsync().WaitAsync(_output.StallTimeout).PipeTo(
            self,
            success: () => SpaceAvailable.Instance,
            failure: _ => Stalled.Instance);
    }

    private void HandleSpaceAvailable(SpaceAvailable _)
    {
        _waitingForSpace = false;
        Fetch();
    }

    private void HandleStalled()
    {
        _log.Info("Dropping a log subscriber: its connection took nothing for {0}", _output.StallTimeout);
        CloseAndStop(LogStreamClosedReason.TooSlow);
    }

    private void Fetch()
    {
        if (_fetchPending || _waitingForSpace || _output.IsClosed)
        {
            return;
        }

        _fetchPending = true;
        _parent.Tell(new StreamProtocol.FetchLines(_after));
    }

    private void HandleEnd(StreamProtocol.LogEnd end)
    {
        if (_after < end.LastSeq)
        {
            // Lines were dropped while catching up: fetch them; the job sends the end again after.
            if (!_waitingForSpace)
            {
                _fetchPending = false;
                Fetch();
            }

            return;
        }

        _output.Complete(end);
        Context.Stop(Self);
    }

    private void CloseAndStop(LogStreamClosedReason reason)
    {
        _output.Close(reason);
        Context.Stop(Self);
    }

    private sealed record SpaceAvailable
    {
        public static readonly SpaceAvailable Instance = new();
    }

    private sealed record Stalled
    {
        public static readonly Stalled Instance = new();
    }
}
